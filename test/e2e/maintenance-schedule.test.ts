import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { type ConnectionOptions, Queue, QueueEvents } from 'bullmq';
import mongoose from 'mongoose';
import { JobName, QueueName } from '@glimpse/contracts';
import { redisOptions } from '@glimpse/queue';
import { testConfig } from '../support/test-config.js';

const workerMain = resolve(import.meta.dirname, '..', '..', 'apps', 'worker', 'src', 'main.js');

/** Style practice 7: every replica ticks, each tick runs once. */
/** Ticks to watch: enough for two replicas to race on many of them. */
const TICKS = 30;

describe('scheduled sweeps run once per tick across worker replicas', () => {
  const config = testConfig();
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.kill('SIGKILL')));

  it('two workers on a one-second schedule yield exactly one run per tick', async () => {
    const connection = redisOptions(config.redis.url, 'queue') as ConnectionOptions;
    const events = new QueueEvents(QueueName.Maintenance, { connection, prefix: config.queue.prefix });
    await events.waitUntilReady();
    let duplicates = 0;
    events.on('duplicated', () => duplicates++);

    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      MONGODB_URI: config.mongo.uri,
      REDIS_URL: config.redis.url,
      GLIMPSE_QUEUE_PREFIX: config.queue.prefix,
      LOG_LEVEL: 'warn',
      GLIMPSE_SCHEDULE_UPDATER: '* * * * * *',
      GLIMPSE_SCHEDULE_AUDITOR: 'off',
      GLIMPSE_SCHEDULE_REPLICATOR: 'off',
      GLIMPSE_SCHEDULE_REAPER: 'off',
    };
    for (let i = 0; i < 2; i++) {
      children.push(spawn(process.execPath, [workerMain], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
    }
    // Run until enough ticks have run (however long a busy machine takes), not for a fixed time: the property is
    // one run per tick, not a rate.
    const db = await mongoose.createConnection(config.mongo.uri, { dbName: config.mongo.dbName }).asPromise();
    const runsOf = () => db.collection('maintenance_runs').find({ job: JobName.UpdaterSweep }).toArray();
    const deadline = Date.now() + 15 * 60_000;
    while ((await runsOf()).length < TICKS && Date.now() < deadline) await sleep(1000);
    const exits = children.map((c) => new Promise((done) => c.once('exit', done)));
    children.forEach((c) => c.kill('SIGTERM'));
    await Promise.all(exits);

    const queue = new Queue(QueueName.Maintenance, { connection, prefix: config.queue.prefix });
    const completed = await queue.getJobs(['completed'], 0, 1000);
    try {
      const runs = await runsOf();
      const ticks = runs.map((r) => (r.tick as Date).getTime()).sort((a, b) => a - b);
      assert.ok(runs.length >= TICKS, `only ${runs.length} runs before the bound`);
      assert.equal(new Set(ticks).size, runs.length, 'a tick ran twice');
      assert.ok(runs.every((r) => r.attempts === 1), 'a run was started twice');
      assert.ok(runs.every((r) => r.status === 'succeeded'), JSON.stringify(runs.find((r) => r.status !== 'succeeded')));
      assert.equal(completed.length, runs.length, 'each completed job has exactly one run record');
      assert.ok(new Set(completed.map((j) => j.id)).size === completed.length);
      // Both replicas fired: the second one's enqueue of a tick was a duplicate of the first (on a busy machine a
      // replica may miss a tick, so not every tick need show one).
      assert.ok(duplicates >= 1, `${duplicates} duplicate enqueues for ${runs.length} ticks`);
    } finally {
      await db.dropDatabase();
      await db.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await events.close();
    }
  });
});
