import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../support/free-port.js';
import { waitForHttp } from '../support/http-wait.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const entry = (app: string) => resolve(import.meta.dirname, '..', '..', 'apps', app, 'src/main.js');
// The local servers' ports pass through: the suite's runner started them on those ports in this same data dir,
// and a second PostgreSQL cannot start on a data dir that one already serves.
const localPorts = Object.fromEntries(
  ['GLIMPSE_LOCAL_MONGO_PORT', 'GLIMPSE_LOCAL_REDIS_PORT', 'GLIMPSE_LOCAL_POSTGRES_PORT'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])),
);
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', ...localPorts };

/**
 * The versions document Glance 25.1 served, as recorded in shared/reference, followed by v1's two DEPRECATED
 * entries (served by default, GLIMPSE_API_V1; shared/reference/glance-v1-examples/responses.md).
 */
function recordedVersions(port: number): unknown {
  const text = readFileSync(resolve(root, '../shared/reference/glance-responses/versions.txt'), 'utf8');
  const body = text.split('\n').find((line) => line.startsWith('{"versions"'))!;
  const v2 = JSON.parse(body.replaceAll('http://127.0.0.1:9292', `http://127.0.0.1:${port}`)) as { versions: unknown[] };
  const v1 = ['v1.1', 'v1.0'].map((id) => ({ id, status: 'DEPRECATED', links: [{ rel: 'self', href: `http://127.0.0.1:${port}/v1/` }] }));
  return { versions: [...v2.versions, ...v1] };
}

describe('the run command: API + worker in one process with no configuration', () => {
  let child: ChildProcess | undefined;
  after(() => child?.kill('SIGKILL'));

  it('serves /versions and /healthz, then stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    // No MONGODB_URI / REDIS_URL: it uses (or starts) the local servers under .data, like `npm start`.
    child = spawn(process.execPath, [entry('standalone')], {
      cwd: root,
      env: { ...baseEnv, GLIMPSE_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    const health = await waitForHttp(`http://127.0.0.1:${port}/healthz`, (s) => s === 200);
    assert.deepEqual(JSON.parse(health.body).checks, { mongodb: { status: 'up' }, redis: { status: 'up' } });

    const versions = await fetch(`http://127.0.0.1:${port}/versions`);
    assert.equal(versions.status, 200);
    assert.deepEqual(await versions.json(), recordedVersions(port));
    const rootDoc = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(rootDoc.status, 300);
    assert.deepEqual(await rootDoc.json(), recordedVersions(port));
    assert.equal((await fetch(`http://127.0.0.1:${port}/v3/images`)).status, 300);

    const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  });
});

describe('configuration errors', () => {
  for (const app of ['api', 'worker', 'standalone']) {
    it(`${app}: MONGODB_URI=not-a-url exits non-zero with one line naming MONGODB_URI`, () => {
      const run = spawnSync(process.execPath, [entry(app)], {
        cwd: root,
        env: { ...baseEnv, MONGODB_URI: 'not-a-url' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.notEqual(run.status, 0);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, /^Invalid configuration: MONGODB_URI="not-a-url": /);
    });
  }
});

describe('a worker whose Redis is down', () => {
  it('logs the error once as a line, and still stops on SIGTERM', async () => {
    const port = await freePort(); // nothing listens there
    const child = spawn(process.execPath, [entry('worker')], {
      cwd: root,
      env: { ...baseEnv, LOG_LEVEL: 'info', REDIS_URL: `redis://127.0.0.1:${port}`, MONGODB_URI: process.env.GLIMPSE_TEST_MONGODB_URI },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await waitUntil(() => output.includes('worker error'), 30_000);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    const lines = output.trim().split('\n');
    assert.ok(lines.every((l) => l.startsWith('{')), `non-JSON output:\n${lines.filter((l) => !l.startsWith('{')).join('\n')}`);
    assert.ok(lines.some((l) => l.includes('"shutting down"')));
  });
});

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
}
