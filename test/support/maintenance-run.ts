import assert from 'node:assert/strict';
import type { QueueEvents } from 'bullmq';
import { JobName } from '@glimpse/contracts';
import { JobProducer } from '@glimpse/queue';
import type { RunningApi } from './api-app.js';

const admin = { accept: 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };

/**
 * Runs a sweep through the admin endpoint and waits (through BullMQ's events) for it and for the per-image jobs
 * it fanned out for `ids` (`<jobPrefix>-<id>@<tick>`). `events` listens on the maintenance queue.
 */
export async function runSweep(api: RunningApi, events: QueueEvents, sweep: 'reaper' | 'updater' | 'auditor', jobPrefix: string, ids: string[]): Promise<void> {
  const res = await fetch(`${api.url}/v2/admin/maintenance/${sweep}`, { method: 'POST', headers: admin });
  assert.equal(res.status, 202);
  const { job_id: jobId } = (await res.json()) as { job_id: string };
  const queue = api.app.get(JobProducer).queueFor(JobName.ReaperSweep);
  const job = await queue.getJob(jobId);
  await job!.waitUntilFinished(events, 60_000);
  const tick = (job!.data as { tick: string }).tick.replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  for (const id of ids) await (await queue.getJob(`${jobPrefix}-${id}@${tick}`))?.waitUntilFinished(events, 60_000);
}
