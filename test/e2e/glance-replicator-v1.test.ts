import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const run = promisify(execFile);
const ADMIN_TOKEN = 'tok-admin-00001';
const OWNER_TOKEN = 'tok-owner-0001';

/** glance-replicator (Debian python3-glance 25.1, speaks v1 only), as `python3 -m glance.cmd.replicator`. */
async function replicator(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('/usr/bin/python3', ['-m', 'glance.cmd.replicator', '--token', ADMIN_TOKEN, ...args], {
      timeout: 120_000,
      env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

describe('glance-replicator (v1 only) against two Glimpse deployments', () => {
  let source: RunningApi;
  let target: RunningApi;
  const hostPort = (api: RunningApi) => api.url.replace('http://', '');
  const ids = ['11111111-0000-4000-8000-000000000001', '11111111-0000-4000-8000-000000000002', '11111111-0000-4000-8000-000000000003'];

  const post = async (api: RunningApi, token: string, headers: Record<string, string>, body?: Buffer) => {
    const r = await send(`${api.url}/v1/images`, 'POST', {
      'x-auth-token': token, 'content-type': 'application/octet-stream', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
      ...(body ? {} : { 'content-length': '0' }), ...headers,
    }, body);
    assert.equal(r.status, 201, r.body.toString());
  };

  before(async () => {
    const base = testConfig();
    const tokens = join(base.dataDir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({
      [ADMIN_TOKEN]: { project: 'proj-admin', user: 'u-admin', roles: ['admin', 'member', 'reader'] },
      [OWNER_TOKEN]: { project: 'proj-owner', user: 'u-owner', roles: ['member', 'reader'] },
    }));
    const auth = { GLIMPSE_AUTH: 'tokens', GLIMPSE_TOKENS_FILE: tokens };
    source = await startApi(testConfig({ ...auth, GLIMPSE_DATA_DIR: base.dataDir }));
    target = await startApi(testConfig(auth));
    // Source: three active images (13 + 100 + 1000 bytes; one a private image of another project) and a reserve.
    await post(source, ADMIN_TOKEN, { 'x-image-meta-id': ids[0]!, 'x-image-meta-name': 'one', 'x-image-meta-is_public': 'True' }, Buffer.alloc(13, 1));
    await post(source, OWNER_TOKEN, { 'x-image-meta-id': ids[1]!, 'x-image-meta-name': 'two' }, Buffer.alloc(100, 2));
    await post(source, ADMIN_TOKEN, { 'x-image-meta-id': ids[2]!, 'x-image-meta-name': 'three' }, Buffer.alloc(1000, 3));
    await post(source, OWNER_TOKEN, { 'x-image-meta-name': 'reserved' });
    // Target: the first image as it is, the second under another name, the third missing.
    await post(target, ADMIN_TOKEN, { 'x-image-meta-id': ids[0]!, 'x-image-meta-name': 'one', 'x-image-meta-is_public': 'True' }, Buffer.alloc(13, 1));
    await post(target, OWNER_TOKEN, { 'x-image-meta-id': ids[1]!, 'x-image-meta-name': 'renamed' }, Buffer.alloc(100, 2));
  });
  after(async () => {
    await target?.close();
    await source?.close();
  });

  it('size: the active images of every project, paged with is_public=None and marker until an empty page', async () => {
    const r = await replicator('size', hostPort(source));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Total size is 1113 bytes \(.*\) across 3 images/);
    const t = await replicator('size', hostPort(target));
    assert.match(t.out, /Total size is 113 bytes \(.*\) across 2 images/);
  });

  it('compare: the renamed image differs, the missing one is missing, the identical one is not reported', async () => {
    // The fields v1 sends as JSON numbers and booleans never equal their header strings in this tool (the same
    // against Glance), so they are left out with the times, as an operator would.
    const skip = 'created_at date deleted_at location updated_at virtual_size size min_ram min_disk is_public protected deleted properties';
    const r = await replicator('--dontreplicate', skip, 'compare', hostPort(source), hostPort(target));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`${ids[1]}: field name differs \\(source is two, destination is renamed\\)`));
    assert.match(r.out, new RegExp(`Image ${ids[2]} \\("three"\\) entirely missing from the destination`));
    assert.doesNotMatch(r.out, new RegExp(ids[0]!), 'the identical image');
  });
});
