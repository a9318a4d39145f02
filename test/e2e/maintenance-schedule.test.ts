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
describe('scheduled sweeps run once per tick across worker replicas', () => {
  const config = testConfig();
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.kill('SIGKILL')));

  it('two workers on a one-second schedule yield exactly one run per tick over a minute', async () => {
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
    await sleep(62_000);
    const exits = children.map((c) => new Promise((done) => c.once('exit', done)));
    children.forEach((c) => c.kill('SIGTERM'));
    await Promise.all(exits);

    const queue = new Queue(QueueName.Maintenance, { connection, prefix: config.queue.prefix });
    const completed = await queue.getJobs(['completed'], 0, 1000);
    const db = await mongoose.createConnection(config.mongo.uri, { dbName: config.mongo.dbName }).asPromise();
    try {
      const runs = await db.collection('maintenance_runs').find({ job: JobName.UpdaterSweep }).toArray();
      const ticks = runs.map((r) => (r.tick as Date).getTime()).sort((a, b) => a - b);
      assert.ok(runs.length >= 50, `only ${runs.length} runs in a minute`);
      assert.equal(new Set(ticks).size, runs.length, 'a tick ran twice');
      assert.ok(runs.every((r) => r.attempts === 1), 'a run was started twice');
      assert.ok(runs.every((r) => r.status === 'succeeded'), JSON.stringify(runs.find((r) => r.status !== 'succeeded')));
      assert.equal(completed.length, runs.length, 'each completed job has exactly one run record');
      assert.ok(new Set(completed.map((j) => j.id)).size === completed.length);
      // Both replicas fired: for most ticks the second one's enqueue was a duplicate of the first.
      assert.ok(duplicates >= runs.length * 0.8, `${duplicates} duplicate enqueues for ${runs.length} ticks`);
    } finally {
      await db.dropDatabase();
      await db.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await events.close();
    }
  });
});
