import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Queue } from 'bullmq';
import { JobName, type JobResults } from '@glimpse/contracts';
import { type ImageDoc, ImageRepository, MaintenanceRunRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecordWithFile, insertImageRecords } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';
import { spawnWorker, stopWorker, workerEnv } from '../support/worker-process.js';
import { storedRecords } from '../support/stored-records.js';

const HOUR = 3600_000;
const DUE = 300; // pending_delete past scrub_time: to be purged
const ACTIVE = 100; // must keep their bytes
const NOT_DUE = 50; // pending_delete within scrub_time: must keep their bytes too
const BLOB = 4096;
const admin = { accept: 'application/json', 'x-project-id': 'padmin', 'x-roles': 'admin' };

describe('a reaper run interrupted by SIGKILL', () => {
  const work = mkdtempSync(join(tmpdir(), 'glimpse-sweep-crash-'));
  const storeDir = join(work, 'data', 'stores', 'local');
  let api: RunningApi;
  let env: Record<string, string>;
  let images: ImageRepository;
  let queue: Queue;
  const workers: ChildProcess[] = [];
  const blobs = new Map<string, { path: string; md5: string }>();
  const due: string[] = [];
  const kept: string[] = [];

  const startWorker = (): ChildProcess => {
    const child = spawnWorker(env);
    workers.push(child);
    return child;
  };

  /** An image record with a real 4 KiB blob in the file store. */
  const withBlob = (fields: Partial<ImageDoc>): ImageDoc => {
    const image = imageRecordWithFile(storeDir, 'local', BLOB, fields);
    blobs.set(image._id, { path: fileURLToPath(image.locations[0]!.url), md5: image.checksum! });
    return image;
  };

  const runReaper = async (): Promise<string> => {
    const res = await fetch(`${api.url}/v2/admin/maintenance/reaper`, { method: 'POST', headers: admin });
    assert.equal(res.status, 202);
    return ((await res.json()) as { job_id: string }).job_id;
  };
  const reaped = async () => (await images.findByIds(due)).filter((i) => i.status === 'deleted' && i.locations.length === 0).length;
  const unsettled = async () => {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };

  before(async () => {
    const settings = {
      GLIMPSE_SCHEDULE_AUDITOR: 'off', GLIMPSE_SCHEDULE_REPLICATOR: 'off', GLIMPSE_SCHEDULE_UPDATER: 'off', GLIMPSE_SCHEDULE_REAPER: 'off',
      GLIMPSE_DELAYED_DELETE: 'true', GLIMPSE_SCRUB_TIME_SECONDS: '3600',
    };
    const config = testConfig({ GLIMPSE_DATA_DIR: join(work, 'data'), ...settings });
    env = workerEnv(config, { ...settings, WORKER_QUEUES: 'maintenance' });
    api = await startApi(config);
    images = api.app.get(ImageRepository);
    queue = api.app.get(JobProducer).queueFor(JobName.ReaperSweep);
    mkdirSync(storeDir, { recursive: true });
    const now = Date.now();
    const records = [
      ...Array.from({ length: DUE }, () => withBlob({ status: 'pending_delete', deletedAt: new Date(now - 2 * HOUR) })),
      ...Array.from({ length: ACTIVE }, () => withBlob({ status: 'active' })),
      ...Array.from({ length: NOT_DUE }, () => withBlob({ status: 'pending_delete', deletedAt: new Date(now - HOUR / 6) })),
    ];
    for (const r of records) (r.status === 'pending_delete' && r.deletedAt!.getTime() < now - HOUR ? due : kept).push(r._id);
    await insertImageRecords(storedRecords(api.app, 'images'), records.length, (i) => records[i]!);
  });

  after(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await api?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is completed by a second worker and the next tick: every due image deleted once, nothing else touched', async () => {
    const first = startWorker();
    while ((await queue.getWorkersCount()) === 0) await sleep(100);
    const firstRun = await runReaper();

    // Kill the worker once some, but not all, of the images were reaped.
    for (let n = await reaped(); n < DUE / 10; n = await reaped()) {
      assert.ok(first.exitCode === null, 'the worker died on its own');
      await sleep(20);
    }
    await stopWorker(first);
    const doneAtKill = await reaped();
    assert.ok(doneAtKill < DUE, `the run finished before the kill (${doneAtKill} of ${DUE})`);

    // A second worker: BullMQ hands it the dead worker's stalled jobs once their locks expire; the next tick
    // (a new run with its own job ids) fans out the images that are still due meanwhile.
    startWorker();
    const nextRun = await runReaper();
    const runs = api.app.get(MaintenanceRunRepository);
    const deadline = Date.now() + 300_000;
    for (;;) {
      const [n, pending, recorded] = await Promise.all([reaped(), unsettled(), runs.list(undefined, 10)]);
      if (n === DUE && pending === 0 && recorded.length === 2 && recorded.every((r) => r.status !== 'running')) break;
      assert.ok(Date.now() < deadline, `not finished: ${n}/${DUE} reaped, ${pending} jobs pending, runs ${recorded.map((r) => r.status).join(',')}`);
      await sleep(500);
    }

    // Nothing lost: every due image is deleted and its blob gone; everything else is as it was, bytes intact.
    for (const id of due) {
      const image = (await images.findById(id))!;
      assert.equal(image.status, 'deleted', id);
      assert.deepEqual(image.locations, []);
      assert.ok(!existsSync(blobs.get(id)!.path), `the blob of ${id} is still there`);
    }
    for (const id of kept) {
      const image = (await images.findById(id))!;
      assert.notEqual(image.status, 'deleted', id);
      assert.equal(image.locations.length, 1);
      const { path, md5 } = blobs.get(id)!;
      assert.equal(createHash('md5').update(readFileSync(path)).digest('hex'), md5, `the blob of ${id} changed`);
    }

    // No job failed, and no image was reaped twice: at most one reap job removed (and counted) its bytes.
    assert.equal(await queue.getFailedCount(), 0);
    const jobs = (await queue.getJobs(['completed'], 0, -1)).filter((j) => j.name === JobName.ReapImage);
    const counted = new Map<string, number>();
    for (const job of jobs) {
      const result = job.returnvalue as JobResults[typeof JobName.ReapImage];
      const id = (job.data as { imageId: string }).imageId;
      assert.ok(due.includes(id), `a reap job ran for ${id}, which was not due`);
      if (result.bytes > 0) counted.set(id, (counted.get(id) ?? 0) + 1);
    }
    assert.ok([...counted.values()].every((n) => n === 1), 'an image\'s bytes were counted by two reap jobs');
    // The jobs the kill interrupted may have removed a blob without reporting it; the others reported theirs.
    assert.ok(counted.size >= DUE - 2, `only ${counted.size} of ${DUE} reap jobs reported the bytes they removed`);

    // Both runs are recorded as succeeded: the interrupted one once its fan-out completed (on the second
    // worker, if the kill landed in it), the next tick with no more candidates than were left at the kill.
    const interrupted = (await runs.findById(firstRun))!;
    const next = (await runs.findById(nextRun))!;
    assert.equal(interrupted.status, 'succeeded', interrupted.error ?? undefined);
    assert.equal(next.status, 'succeeded', next.error ?? undefined);
    assert.ok(next.counts!.candidates! <= DUE - doneAtKill, `the next tick found ${next.counts!.candidates} candidates`);
    console.log(`# reaped ${doneAtKill}/${DUE} before the kill; interrupted run: ${interrupted.attempts} attempt(s), ` +
      `${interrupted.counts!.candidates} candidates; next tick: ${next.counts!.candidates} candidates; ${jobs.length} reap jobs completed`);

    // And a tick after that has nothing left to do.
    const last = await runReaper();
    let final = await runs.findById(last);
    for (; !final || final.status === 'running'; final = await runs.findById(last)) await sleep(200);
    assert.equal(final.status, 'succeeded', final.error ?? undefined);
    assert.equal(final.counts!.candidates, 0);
  });
});
