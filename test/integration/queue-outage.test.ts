import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { redisSpec, type ServiceSpec, startService, stopService } from '@glimpse/local-services';
import { type RunningApi, startApi } from '../support/api-app.js';
import { freePort } from '../support/free-port.js';
import { createImage, showImage } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const owner = { accept: 'application/json', 'x-project-id': 'outage', 'x-user-id': 'u-outage', 'x-roles': 'member' };
const admin = { accept: 'application/json', 'x-project-id': 'ops', 'x-user-id': 'u-ops', 'x-roles': 'admin' };
/** A bound against a hang (before the fix these never answered), not a speed assertion: the answer comes in seconds. */
const HANG = 60_000;

/**
 * The job queue's Redis stopped or frozen (SIGSTOP): requests that enqueue answer 503 in Glance's error shape and
 * leave nothing behind (no import lock, no pending task), and work again once Redis is back, without a restart.
 */
describe('enqueue with the job queue down or frozen', () => {
  let spec: ServiceSpec;
  let api: RunningApi;
  let redisPid = 0;

  before(async () => {
    const port = await freePort();
    const config = testConfig({ REDIS_URL: `redis://127.0.0.1:${port}/0`, GLIMPSE_LOCAL_REDIS_PORT: String(port), GLIMPSE_STORES: 'local:file,web:http' });
    chmodSync(config.dataDir, 0o755);
    spec = redisSpec(config);
    assert.equal(await startService(spec), true);
    redisPid = Number(readFileSync(join(spec.dir, 'redis.pid'), 'utf8'));
    api = await startApi(config);
  });

  after(async () => {
    if (redisPid) process.kill(redisPid, 'SIGCONT');
    await stopService(spec).catch(() => false);
    await api?.close();
  });

  const post = async (path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(HANG),
    });
    return { status: res.status, headers: res.headers, body: (await res.text()) };
  };
  const importOf = (id: string) => post(`/v2/images/${id}/import`, owner, { method: { name: 'web-download', uri: 'http://images.example.com/disk.raw' } });
  const tasksOf = async (id: string) =>
    ((await (await fetch(`${api.url}/v2/images/${id}/tasks`, { headers: owner })).json()) as { tasks: Array<{ status: string }> }).tasks;

  /** 503 in Glance's shape, and the image as it was: queued, unlocked, no task pending or processing. */
  const assertRefusedCleanly = async (id: string, answer: { status: number; headers: Headers; body: string }) => {
    assert.equal(answer.status, 503, answer.body);
    const body = JSON.parse(answer.body) as { code: string; title: string; message: string };
    assert.equal(body.code, '503 Service Unavailable');
    assert.equal(body.title, 'Service Unavailable');
    assert.match(body.message, /try again/);
    const image = await showImage(api.url, id, owner);
    assert.equal(image.status, 'queued');
    assert.equal(image.os_glance_import_task, undefined, JSON.stringify(image));
    const tasks = await tasksOf(id);
    assert.ok(tasks.every((t) => t.status !== 'pending' && t.status !== 'processing'), JSON.stringify(tasks));
  };

  it('with Redis stopped: import and a maintenance run answer 503, and no lock or pending task is left', async () => {
    const id = await createImage(api.url, owner);
    assert.equal(await stopService(spec), true);
    const started = Date.now();
    await assertRefusedCleanly(id, await importOf(id));
    const maintenance = await post('/v2/admin/maintenance/updater', admin);
    assert.equal(maintenance.status, 503, maintenance.body);
    assert.equal((JSON.parse(maintenance.body) as { code: string }).code, '503 Service Unavailable');
    assert.equal(maintenance.headers.get('retry-after'), '5');
    console.log(`# Redis stopped: import and maintenance refused in ${Date.now() - started} ms`);

    assert.equal(await startService(spec), true);
    redisPid = Number(readFileSync(join(spec.dir, 'redis.pid'), 'utf8'));
    // Once Redis is back, the same import goes through (the producer reconnects on its own).
    let again = await importOf(id);
    for (let i = 0; again.status === 503 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 200));
      again = await importOf(id);
    }
    assert.equal(again.status, 202, again.body);
    assert.equal((await showImage(api.url, id, owner)).os_glance_import_task !== undefined, true);
  });

  it('with Redis stopped: adding a location answers 503 and leaves the image queued, unlocked and without it; once Redis is back the same add goes through', async () => {
    const id = await createImage(api.url, owner);
    const add = () => post(`/v2/images/${id}/locations`, owner, { url: 'http://images.example.com/disk.raw' });
    const listed = async () => (await (await fetch(`${api.url}/v2/images/${id}/locations`, { headers: admin })).json()) as unknown[];
    assert.equal(await stopService(spec), true);
    try {
      const refused = await add();
      // What the failed enqueue left (before the fix: importing, locked and with the location, for good).
      const image = await showImage(api.url, id, owner);
      assert.deepEqual({ status: image.status, lock: image.os_glance_import_task }, { status: 'queued', lock: undefined }, refused.body);
      assert.deepEqual(await listed(), []);
      await assertRefusedCleanly(id, refused);
    } finally {
      assert.equal(await startService(spec), true);
      redisPid = Number(readFileSync(join(spec.dir, 'redis.pid'), 'utf8'));
    }
    let again = await add();
    for (let i = 0; again.status === 503 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 200));
      again = await add();
    }
    assert.equal(again.status, 202, again.body);
    const image = await showImage(api.url, id, owner);
    assert.equal(image.status, 'importing');
    assert.notEqual(image.os_glance_import_task, undefined);
    assert.equal((await listed()).length, 1);
  });

  it('with Redis frozen (SIGSTOP): import and a maintenance run answer 503, and no lock or pending task is left', async () => {
    const id = await createImage(api.url, owner);
    process.kill(redisPid, 'SIGSTOP');
    try {
      const started = Date.now();
      await assertRefusedCleanly(id, await importOf(id));
      const maintenance = await post('/v2/admin/maintenance/reaper', admin);
      assert.equal(maintenance.status, 503, maintenance.body);
      console.log(`# Redis frozen: import and maintenance refused in ${Date.now() - started} ms`);
    } finally {
      process.kill(redisPid, 'SIGCONT');
    }
    const resumed = await post('/v2/admin/maintenance/reaper', admin);
    assert.equal(resumed.status, 202, resumed.body);
  });
});
