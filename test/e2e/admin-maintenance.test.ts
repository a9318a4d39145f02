import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { createLogger } from '@glimpse/common';
import { JobName } from '@glimpse/contracts';
import { JobProducer } from '@glimpse/queue';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';

const exec = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../apps/admin-cli/src/main.js');

describe('maintenance on demand: admin endpoint and glimpse-admin', () => {
  const config = testConfig({ GLIMPSE_SCHEDULE_AUDITOR: 'off', GLIMPSE_SCHEDULE_REPLICATOR: 'off', GLIMPSE_SCHEDULE_UPDATER: 'off', GLIMPSE_SCHEDULE_REAPER: 'off' });
  let api: RunningApi;
  let worker: INestApplicationContext;
  const admin = { accept: 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };
  const member = { accept: 'application/json', 'x-project-id': 'pa', 'x-roles': 'member' };

  before(async () => {
    api = await startApi(config);
    worker = await createWorkerApp(config, createLogger({ level: 'silent', pretty: false, name: 'test-worker' }));
  });
  after(async () => {
    await worker?.close();
    await api?.app.get(JobProducer).queueFor(JobName.UpdaterSweep).obliterate({ force: true }).catch(() => undefined);
    await api?.close();
  });

  it('is for admins only, and names unknown sweeps', async () => {
    assert.equal((await fetch(`${api.url}/v2/admin/maintenance/updater`, { method: 'POST', headers: member })).status, 403);
    assert.equal((await fetch(`${api.url}/v2/admin/maintenance/runs`, { headers: member })).status, 403);
    const res = await fetch(`${api.url}/v2/admin/maintenance/nothing`, { method: 'POST', headers: admin });
    assert.equal(res.status, 404);
    assert.match(await res.text(), /auditor, replicator, updater, reaper/);
  });

  it('runs a sweep through the CLI, waits for it and lists the recorded run', async () => {
    // noauth without identity headers acts as the default project with the admin role.
    const { stdout } = await exec(process.execPath, [cli, '--url', api.url, 'maintenance', 'run', 'updater', '--wait'], { timeout: 120_000 });
    const [jobId, summary] = stdout.trim().split('\n');
    assert.match(jobId!, /^updater-sweep@\d{8}T\d{6}Z-manual-[0-9a-f]{6}$/);
    assert.match(summary!, /\tsucceeded\tmanual\t/);
    const listed = await exec(process.execPath, [cli, '--url', api.url, 'maintenance', 'runs', 'updater']);
    assert.match(listed.stdout, new RegExp(`^${jobId}\\tsucceeded\\tmanual`, 'm'));
    const run = (await (await fetch(`${api.url}/v2/admin/maintenance/runs/${jobId}`, { headers: admin })).json()) as Record<string, unknown>;
    assert.equal(run.sweep, 'updater');
    assert.equal(run.status, 'succeeded');
    assert.equal(typeof (run.counts as Record<string, unknown>).candidates, 'number');
  });

  it('exposes the runs, queues and HTTP traffic as Prometheus metrics', async () => {
    const res = await fetch(`${api.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /^glimpse_maintenance_runs\{sweep="updater",status="succeeded"\} 1$/m);
    assert.match(text, /^glimpse_maintenance_last_run_seconds\{sweep="updater"\} \d/m);
    assert.match(text, /^glimpse_maintenance_last_run_count\{sweep="updater",count="candidates"\} \d+$/m);
    assert.match(text, /^glimpse_queue_jobs\{queue="maintenance",state="completed"\} 1$/m);
    assert.match(text, /^glimpse_http_requests_total\{method="POST",route="\/v2\/admin\/maintenance\/:sweep",status="202"\} 1$/m);
  });

  it('exits non-zero with the server\'s answer when refused', async () => {
    await assert.rejects(exec(process.execPath, [cli, '--url', api.url, 'maintenance', 'run', 'bogus']), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /HTTP 404/);
      return true;
    });
  });
});
