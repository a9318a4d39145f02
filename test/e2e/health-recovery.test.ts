import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mongoSpec, redisSpec, startService, stopService } from '@glimpse/local-services';
import { type RunningApi, startApi } from '../support/api-app.js';
import { type OwnServices, startOwnServices } from '../support/own-services.js';
import { waitForHttp } from '../support/http-wait.js';

/** /healthz against servers of its own, which the test stops and starts again. */
describe('health: 503 naming the dependency that is down, recovery without a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-health-'));
  let own: OwnServices;
  let base: OwnServices['base'];
  let api: RunningApi;
  let url: string;

  before(async () => {
    own = await startOwnServices(dataDir);
    base = own.base;
    api = await startApi(own.services.config);
    url = `${api.url}/healthz`;
  });

  after(async () => {
    // The servers first: closing the API removes its data directory, where their pid files are.
    await own?.stop();
    await api?.close({ dropDatabase: false }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const down = (name: string) => (status: number, body: string) =>
    status === 503 && JSON.parse(body).checks[name].status === 'down' && JSON.parse(body).message.includes(name);

  it('starts healthy', async () => {
    // Without mongod the embedded default is FerretDB on a PostgreSQL cluster of its own, started first.
    if (!base.tools.mongod && mongoSpec(base).name === 'ferretdb') assert.deepEqual(own.services.started, ['postgres', 'ferretdb', 'redis']);
    await waitForHttp(url, (s) => s === 200, 30_000);
  });

  it('reports Redis down, then recovers when it returns', async () => {
    assert.equal(await stopService(redisSpec(base)), true);
    const { body } = await waitForHttp(url, down('redis'), 20_000);
    assert.equal(JSON.parse(body).checks.mongodb.status, 'up');
    assert.equal(await startService(redisSpec(base)), true);
    await waitForHttp(url, (s) => s === 200, 30_000);
  });

  it('reports MongoDB down, then recovers when it returns', async () => {
    assert.equal(await stopService(mongoSpec(base)), true);
    const { body } = await waitForHttp(url, down('mongodb'), 20_000);
    assert.equal(JSON.parse(body).checks.redis.status, 'up');
    // An API call meanwhile: a 503 to retry, in Glance's error shape, not a 500.
    const call = await fetch(`${api.url}/v2/images`, { headers: { accept: 'application/json', 'x-project-id': 'p1', 'x-roles': 'member' } });
    assert.equal(call.status, 503, await call.clone().text());
    assert.equal(((await call.json()) as { code: string }).code, '503 Service Unavailable');
    assert.equal(await startService(mongoSpec(base)), true);
    await waitForHttp(url, (s) => s === 200, 30_000);
  });
});
