import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';

/** Glance's own definition files, as Debian's glance-common installs them (never copied into the project). */
const dir = [process.env.GLIMPSE_TEST_METADEFS_DIR, '/etc/glance/metadefs', '/usr/share/glance-common/metadefs'].find(
  (d): d is string => !!d && existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')),
);
const skip = dir ? false : 'no Glance metadata definition files (apt-get install glance-common, or set GLIMPSE_TEST_METADEFS_DIR)';
const cli = resolve(import.meta.dirname, '../../apps/metadefs-cli/src/main.js');

type Json = Record<string, any>;

describe('glimpse-metadefs load: round trip of Glance definition files', { skip }, () => {
  const config = testConfig();
  let api: RunningApi;
  const admin = { accept: 'application/json', 'x-project-id': 'p-admin', 'x-roles': 'admin' };
  const files = dir ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  const load = () =>
    promisify(execFile)(process.execPath, [cli, 'load', dir!], {
      env: { ...process.env, MONGODB_URI: config.mongo.uri, REDIS_URL: config.redis.url, LOG_LEVEL: 'silent' },
    });

  before(async () => {
    api = await startApi(config);
  });
  after(() => api.close());

  it('loads every file once; a second load skips them all', async () => {
    const first = await load();
    assert.match(first.stdout, new RegExp(`^${files.length} loaded, 0 skipped, 0 failed$`, 'm'));
    const second = await load();
    assert.match(second.stdout, new RegExp(`^0 loaded, ${files.length} skipped, 0 failed$`, 'm'));
  });

  it('serves each namespace as its file defines it', async () => {
    for (const file of files) {
      const def = JSON.parse(readFileSync(join(dir!, file), 'utf8')) as Json;
      const res = await fetch(`${api.url}/v2/metadefs/namespaces/${encodeURIComponent(def.namespace)}`, { headers: admin });
      assert.equal(res.status, 200, file);
      const ns = (await res.json()) as Json;
      const msg = `${file}: ${def.namespace}`;
      assert.equal(ns.namespace, def.namespace, msg);
      assert.equal(ns.display_name, def.display_name, msg);
      assert.equal(ns.description, def.description, msg);
      assert.equal(ns.visibility, def.visibility ?? 'private', msg);
      assert.equal(ns.protected, def.protected ?? false, msg);
      assert.equal(ns.owner, def.owner ?? 'admin', msg);
      const strip = ({ created_at: _c, updated_at: _u, ...rest }: Json) => rest;
      assert.deepEqual((ns.resource_type_associations ?? []).map(strip), def.resource_type_associations ?? [], msg);
      assert.deepEqual(ns.properties ?? {}, def.properties ?? {}, msg);
      assert.deepEqual(
        (ns.objects ?? []).map(({ self: _s, schema: _sc, ...o }: Json) => strip(o)),
        (def.objects ?? []).map((o: Json) => ({ ...o })),
        msg,
      );
      assert.deepEqual((ns.tags ?? []).map((t: Json) => t.name), (def.tags ?? []).map((t: Json) => t.name), msg);
    }
  });

  it('lists the resource types the files name, and finds namespaces by them', async () => {
    const expected = new Set(
      files.flatMap((f) => ((JSON.parse(readFileSync(join(dir!, f), 'utf8')) as Json).resource_type_associations ?? []).map((a: Json) => a.name)),
    );
    const types = (await (await fetch(`${api.url}/v2/metadefs/resource_types`, { headers: admin })).json()) as Json;
    assert.deepEqual(new Set(types.resource_types.map((t: Json) => t.name)), expected);
    assert.ok(expected.has('OS::Glance::Image'));
    const images = (await (await fetch(`${api.url}/v2/metadefs/namespaces?resource_types=OS::Glance::Image&limit=1000`, { headers: admin })).json()) as Json;
    const withImage = files
      .map((f) => JSON.parse(readFileSync(join(dir!, f), 'utf8')) as Json)
      .filter((d) => (d.resource_type_associations ?? []).some((a: Json) => a.name === 'OS::Glance::Image'))
      .map((d) => d.namespace)
      .sort();
    assert.deepEqual(images.namespaces.map((n: Json) => n.namespace).sort(), withImage);
  });

  it('protected loaded namespaces refuse deletion', async () => {
    const def = files.map((f) => JSON.parse(readFileSync(join(dir!, f), 'utf8')) as Json).find((d) => d.protected === true);
    assert.ok(def, 'Glance ships protected namespaces');
    const res = await fetch(`${api.url}/v2/metadefs/namespaces/${encodeURIComponent(def.namespace)}`, { method: 'DELETE', headers: admin });
    assert.equal(res.status, 403);
  });
});
