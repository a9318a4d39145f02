/**
 * `npm run bench -- sweep [records]` (default 1,000,000; GLIMPSE_BENCH_SWEEP_RECORDS also works): seeds image
 * records with insertMany, then times one reaper sweep and one auditor sweep run by a worker in a process of
 * its own, from the enqueue to the end of the sweep job (the fan-out) and to the end of the last per-image job,
 * and samples that worker's RSS. References from the same run: a bare `find` of the sweep's candidates streamed
 * through a cursor, and the worker's RSS at rest before the sweep.
 *
 * The mix (C = min(2000, records / 50), or GLIMPSE_BENCH_SWEEP_CANDIDATES): C pending_delete images past scrub_time with a 1 KiB file each (the
 * reaper's candidates), C active images with a 4 KiB file each (the auditor's, all within its re-hash budget);
 * of the rest, 60% deleted within retention without data, 15% queued, 10% deactivated, 5% killed within their
 * grace, 5% pending_delete within scrub_time, 5% uploading — none a candidate of either sweep. Each sweep is
 * given GLIMPSE_BENCH_SWEEP_MAX_SECONDS (default 1800); past it the figures say how far it got.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { getConnectionToken } from '@nestjs/mongoose';
import { type ConnectionOptions, type Queue, QueueEvents } from 'bullmq';
import type { Connection } from 'mongoose';
import { JobName, QueueName } from '@glimpse/contracts';
import type { ImageDoc } from '@glimpse/persistence';
import { JobProducer, redisOptions } from '@glimpse/queue';
import { imageRecord, imageRecordWithFile, insertImageRecords, withDerivedKeys } from '../test/support/image-records.js';
import { spawnWorker, stopWorker, workerEnv } from '../test/support/worker-process.js';
import { startBenchStack } from './support/bench-stack.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const MB = 1e6;
const admin = { accept: 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };
const s = (ms: number) => `${(ms / 1000).toFixed(2).padStart(8)} s`;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1).padStart(7)} MB`;

/** The resident set of a process from /proc (VmRSS, or VmHWM: its peak since it started), in bytes. */
function procMemory(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples a process's RSS every 20 ms until stopped; returns the highest sample. */
function rssSampler(pid: number): () => number {
  let peak = procMemory(pid, 'VmRSS');
  const timer = setInterval(() => (peak = Math.max(peak, procMemory(pid, 'VmRSS'))), 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, procMemory(pid, 'VmRSS'));
  };
}

export default async function sweepBench(args: string[]): Promise<void> {
  const total = Number(args[0] ?? process.env.GLIMPSE_BENCH_SWEEP_RECORDS ?? 1_000_000);
  const candidates = Number(process.env.GLIMPSE_BENCH_SWEEP_CANDIDATES ?? Math.min(2000, Math.floor(total / 50)));
  const maxSeconds = Number(process.env.GLIMPSE_BENCH_SWEEP_MAX_SECONDS ?? 1800);
  const settings = { GLIMPSE_DELAYED_DELETE: 'true', GLIMPSE_SCRUB_TIME_SECONDS: '3600', GLIMPSE_KILLED_GRACE_MINUTES: '60' };
  const stack = await startBenchStack(settings, { worker: false });
  const env = workerEnv(stack.config, {
    ...settings, WORKER_QUEUES: 'maintenance',
    GLIMPSE_SCHEDULE_AUDITOR: 'off', GLIMPSE_SCHEDULE_REPLICATOR: 'off', GLIMPSE_SCHEDULE_UPDATER: 'off', GLIMPSE_SCHEDULE_REAPER: 'off',
  });
  let worker = spawnWorker(env);
  const queue: Queue = stack.api.get(JobProducer).queueFor(JobName.ReaperSweep);
  const events = new QueueEvents(QueueName.Maintenance, { connection: redisOptions(stack.config.redis.url, 'queue') as ConnectionOptions, prefix: stack.config.queue.prefix });
  try {
    await events.waitUntilReady();
    const images = stack.api.get<Connection>(getConnectionToken()).collection('images');
    const storeDir = join(stack.config.dataDir, 'stores', 'local');
    mkdirSync(storeDir, { recursive: true });
    const now = Date.now();
    const elsewhere = (id: string) => [{ url: pathToFileURL(join(storeDir, 'gone', id)).href, store: 'local', metadata: {}, status: 'active' as const }];
    const other = (i: number): ImageDoc => {
      const k = i % 20;
      if (k < 12) return imageRecord({ status: 'deleted', deletedAt: new Date(now - (1 + (i % 28)) * DAY) });
      if (k < 15) return imageRecord({ status: 'queued' });
      if (k < 17) {
        const image = imageRecord({ status: 'deactivated', size: 1 << 30 });
        return withDerivedKeys({ ...image, locations: elsewhere(image._id) });
      }
      if (k === 17) return imageRecord({ status: 'killed', updatedAt: new Date(now - HOUR / 6) });
      if (k === 18) {
        const image = imageRecord({ status: 'pending_delete', deletedAt: new Date(now - HOUR / 6), size: 1 << 30 });
        return withDerivedKeys({ ...image, locations: elsewhere(image._id) });
      }
      return imageRecord({ status: 'uploading' });
    };
    // Candidates spread evenly through the insert order (their ids are random UUIDs anyway).
    const every = Math.max(1, Math.floor(total / (2 * candidates)));
    let due = 0;
    let active = 0;
    const t = performance.now();
    await insertImageRecords(images, total, (i) => {
      if (i % every === 0 && due < candidates) {
        due++;
        return imageRecordWithFile(storeDir, 'local', 1024, { status: 'pending_delete', deletedAt: new Date(now - 2 * HOUR) });
      }
      if (i % every === 1 && active < candidates) {
        active++;
        return imageRecordWithFile(storeDir, 'local', 4096, { status: 'active' });
      }
      return other(i);
    });
    const seedMs = performance.now() - t;
    console.log(`seeded ${total} image records in ${s(seedMs).trim()} (${(total / (seedMs / 1000)).toFixed(0)} records/s): ` +
      `${due} reaper candidates (1 KiB files), ${active} auditor candidates (4 KiB files)`);

    /** Waits until the worker consumes the queue and has settled; its RSS then. */
    const atRest = async () => {
      while ((await queue.getWorkersCount()) === 0) await sleep(100);
      await sleep(2000);
      return procMemory(worker.pid!, 'VmRSS');
    };
    let restRss = await atRest();
    console.log(`worker process ${worker.pid}: RSS at rest ${mb(restRss).trim()}\n`);

    // The sweeps' own filters (ReaperSweep.run, AuditorSweep.run), streamed through a cursor: the database's cost.
    const reaperDue = {
      $or: [
        { status: 'deleted', locations: { $ne: [] } },
        { status: 'deleted', deletedAt: { $lte: new Date(Date.now() - 30 * DAY) } },
        { status: 'pending_delete', deletedAt: { $lte: new Date(Date.now() - HOUR) } },
        { status: 'killed', updatedAt: { $lte: new Date(Date.now() - HOUR) } },
      ],
    };
    const sweeps = [
      { sweep: 'reaper', filter: reaperDue },
      { sweep: 'auditor', filter: { status: 'active' } },
    ];
    console.log('sweep      bare find   sweep job   all per-image jobs   jobs   jobs/s   worker peak RSS   growth     failed');
    let busy = false;
    for (const { sweep, filter } of sweeps) {
      if (busy) {
        // The worker is still busy with the last sweep's jobs: this sweep gets an empty queue and a fresh worker.
        await stopWorker(worker);
        await queue.obliterate({ force: true });
        worker = spawnWorker(env);
        restRss = await atRest();
        console.log(`${''.padEnd(8)}(the last sweep's jobs dropped; a new worker process ${worker.pid}: RSS at rest ${mb(restRss).trim()})`);
      }
      let t0 = performance.now();
      let found = 0;
      for await (const doc of images.find(filter, { projection: { _id: 1 } })) if (doc._id) found++;
      const findMs = performance.now() - t0;

      const completedBefore = await queue.getCompletedCount();
      const stop = rssSampler(worker.pid!);
      t0 = performance.now();
      const res = await fetch(`${stack.url}/v2/admin/maintenance/${sweep}`, { method: 'POST', headers: admin });
      if (res.status !== 202) throw new Error(`POST ${sweep}: ${res.status}`);
      const { job_id: jobId } = (await res.json()) as { job_id: string };
      // Each sweep gets at most GLIMPSE_BENCH_SWEEP_MAX_SECONDS; past it, what was done is reported.
      const end = t0 + maxSeconds * 1000;
      const sweepDone = await (await queue.getJob(jobId))!.waitUntilFinished(events, maxSeconds * 1000).then(() => true, () => false);
      const sweepMs = performance.now() - t0;
      let pending = 0;
      for (;;) {
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
        pending = Object.values(counts).reduce((a, b) => a + b, 0);
        if (pending === 0 || performance.now() > end) break;
        await sleep(50);
      }
      const allMs = performance.now() - t0;
      const peak = stop();
      const jobs = (await queue.getCompletedCount()) - completedBefore - (sweepDone ? 1 : 0);
      const capped = (done: boolean, ms: number) => (done ? s(ms) : `>${maxSeconds} s`.padStart(10));
      const failed = await queue.getFailedCount();
      console.log(`${sweep.padEnd(8)}${s(findMs)}${capped(sweepDone, sweepMs)}${capped(pending === 0, allMs).padStart(21)}${String(jobs).padStart(7)}` +
        `${(jobs / (allMs / 1000)).toFixed(2).padStart(9)}${mb(peak).padStart(18)}${mb(peak - restRss).padStart(11)}${String(failed).padStart(7)}` +
        `   (bare find: ${found} ids${pending ? `; ${pending} jobs not done by then` : ''})`);
      busy = pending > 0;
    }
    console.log(`\nworker ${worker.pid} VmHWM (peak since it started): ${mb(procMemory(worker.pid!, 'VmHWM')).trim()}; RSS at rest before its sweep: ${mb(restRss).trim()}`);
  } finally {
    await stopWorker(worker, 'SIGTERM');
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await stack.close();
  }
}
