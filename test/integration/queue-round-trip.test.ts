import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { createLogger } from '@glimpse/common';
import { JobName, QueueName } from '@glimpse/contracts';
import { JobProducer, redisOptions } from '@glimpse/queue';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';

describe('queue round trip: API producer → worker processor', () => {
  const config = testConfig();
  let api: RunningApi;
  let worker: INestApplicationContext;
  let events: QueueEvents;

  before(async () => {
    api = await startApi(config);
    worker = await createWorkerApp(config, createLogger({ level: 'silent', pretty: false, name: 'test-worker' }));
    events = new QueueEvents(QueueName.System, {
      connection: redisOptions(config.redis.url, 'queue') as ConnectionOptions,
      prefix: config.queue.prefix,
    });
    await events.waitUntilReady();
  });

  after(async () => {
    await events.close();
    await worker.close();
    const queue = api.app.get(JobProducer).queueFor(JobName.Ping);
    await queue.obliterate({ force: true });
    await api.close();
  });

  it('processes a typed ping job and reports its result through BullMQ events', async () => {
    const requestId = randomUUID();
    const job = await api.app.get(JobProducer).enqueue(JobName.Ping, { requestId, sentAt: new Date().toISOString() });
    const result = await job.waitUntilFinished(events, 30_000);
    assert.equal(result.requestId, requestId);
    assert.equal(result.pid, process.pid);
    assert.equal(typeof result.worker, 'string');
  });

  it('deduplicates jobs by deterministic id', async () => {
    const producer = api.app.get(JobProducer);
    const payload = { requestId: randomUUID(), sentAt: new Date().toISOString() };
    const [a, b] = await Promise.all([
      producer.enqueue(JobName.Ping, payload, { jobId: `ping-${payload.requestId}` }),
      producer.enqueue(JobName.Ping, payload, { jobId: `ping-${payload.requestId}` }),
    ]);
    assert.equal(a.id, b.id);
    await a.waitUntilFinished(events, 30_000);
    const counts = await producer.queueFor(JobName.Ping).getJobCounts('completed');
    assert.equal(counts.completed, 2); // the job of the first test and this single deduplicated one
  });

  it('enqueueNew tells the call that queued a job from those that found it already queued', async () => {
    const producer = api.app.get(JobProducer);
    const payload = { requestId: randomUUID(), sentAt: new Date().toISOString() };
    const racing = await Promise.all(Array.from({ length: 4 }, () => producer.enqueueNew(JobName.Ping, payload, { jobId: `new-${payload.requestId}` })));
    assert.deepEqual(racing.filter(Boolean).length, 1, String(racing));
    assert.equal(await producer.enqueueNew(JobName.Ping, payload, { jobId: `new-${payload.requestId}` }), false);
    assert.equal(await producer.enqueueNew(JobName.Ping, { ...payload, requestId: randomUUID() }, { jobId: `new-other-${payload.requestId}` }), true);
  });
});
