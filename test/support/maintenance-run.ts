import assert from 'node:assert/strict';
import type { INestApplicationContext } from '@nestjs/common';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import { createLogger } from '@glimpse/common';
import type { ResolvedConfig } from '@glimpse/config';
import type { Clock } from '@glimpse/domain';
import { JobName, QueueName } from '@glimpse/contracts';
import { JobProducer, redisOptions } from '@glimpse/queue';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';
import { type RunningApi, startApi } from './api-app.js';
import { testConfig } from './test-config.js';

const admin = { accept: 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };

export interface MaintenanceStack {
  api: RunningApi;
  config: ResolvedConfig;
  /**
   * Runs a sweep through the admin endpoint and waits (through BullMQ's events) for it and for the per-image jobs
   * it fanned out for `ids` (`<jobPrefix>-<id>@<tick>`).
   */
  runSweep(sweep: 'reaper' | 'updater' | 'auditor' | 'replicator', jobPrefix: string, ids: string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The API and a worker on one configuration with every schedule off: sweeps run only when a test asks. `clock` is
 * the worker's (a test moves the sweeps' time forward instead of waiting); the API keeps the system clock.
 */
export async function startMaintenanceStack(env: Record<string, string>, clock?: Clock): Promise<MaintenanceStack> {
  const config = testConfig({
    GLIMPSE_SCHEDULE_AUDITOR: 'off', GLIMPSE_SCHEDULE_REPLICATOR: 'off', GLIMPSE_SCHEDULE_UPDATER: 'off', GLIMPSE_SCHEDULE_REAPER: 'off',
    ...env,
  });
  const api = await startApi(config);
  const worker: INestApplicationContext = await createWorkerApp(config, createLogger({ level: 'silent', pretty: false, name: 'test-worker' }), clock);
  const events = new QueueEvents(QueueName.Maintenance, { connection: redisOptions(config.redis.url, 'queue') as ConnectionOptions, prefix: config.queue.prefix });
  await events.waitUntilReady();
  const queue = api.app.get(JobProducer).queueFor(JobName.ReaperSweep);
  return {
    api,
    config,
    async runSweep(sweep, jobPrefix, ids) {
      const res = await fetch(`${api.url}/v2/admin/maintenance/${sweep}`, { method: 'POST', headers: admin });
      assert.equal(res.status, 202);
      const { job_id: jobId } = (await res.json()) as { job_id: string };
      const job = await queue.getJob(jobId);
      await job!.waitUntilFinished(events, 60_000);
      const tick = (job!.data as { tick: string }).tick.replace(/[-:]/g, '');
      for (const id of ids) await (await queue.getJob(`${jobPrefix}-${id}@${tick}`))?.waitUntilFinished(events, 60_000);
    },
    async close() {
      await events.close();
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await api.close();
    },
  };
}
