import assert from 'node:assert/strict';
import type { INestApplicationContext } from '@nestjs/common';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import type { ResolvedConfig } from '@glimpse/config';
import { createLogger } from '@glimpse/common';
import { JobName, QueueName } from '@glimpse/contracts';
import type { Task } from '@glimpse/domain';
import { TaskRepository } from '@glimpse/persistence';
import { JobProducer, redisOptions } from '@glimpse/queue';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';
import { type RunningApi, startApi } from './api-app.js';

export type Headers = Record<string, string>;
export const member: Headers = { 'content-type': 'application/json', accept: 'application/json', 'x-project-id': 'pa', 'x-user-id': 'ua', 'x-roles': 'member' };
export const admin: Headers = { ...member, 'x-project-id': 'padmin', 'x-roles': 'admin' };

export interface ImportStack {
  api: RunningApi;
  /** The worker's application context (its providers, as the import jobs use them). */
  worker: INestApplicationContext;
  create(body: Record<string, unknown>, headers?: Headers): Promise<string>;
  show(id: string): Promise<Record<string, unknown>>;
  /** Starts an import and waits for its job to end (success or failure) through BullMQ's events; the task then. */
  importAndWait(id: string, body: unknown, headers?: Headers): Promise<Task>;
  close(): Promise<void>;
}

/** The API and a real worker (in this process) on one configuration, for import tests. */
export async function startImportStack(config: ResolvedConfig): Promise<ImportStack> {
  const api = await startApi(config);
  const worker: INestApplicationContext = await createWorkerApp(
    config,
    createLogger({ level: (process.env.TEST_WORKER_LOG as 'silent') ?? 'silent', pretty: false, name: 'test-worker' }),
  );
  const events = new QueueEvents(QueueName.ImageImport, { connection: redisOptions(config.redis.url, 'queue') as ConnectionOptions, prefix: config.queue.prefix });
  await events.waitUntilReady();
  const tasks = api.app.get(TaskRepository);
  const queue = api.app.get(JobProducer).queueFor(JobName.ImageImport);
  return {
    api,
    worker,
    async create(body, headers = member) {
      const res = await fetch(`${api.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify(body) });
      assert.equal(res.status, 201);
      return ((await res.json()) as { id: string }).id;
    },
    async show(id) {
      return (await (await fetch(`${api.url}/v2/images/${id}`, { headers: admin })).json()) as Record<string, unknown>;
    },
    async importAndWait(id, body, headers = member) {
      const res = await fetch(`${api.url}/v2/images/${id}/import`, { method: 'POST', headers, body: JSON.stringify(body) });
      assert.equal(res.status, 202, await res.text());
      const [task] = await tasks.forImage(id);
      const job = await queue.getJob(task!.id);
      await job!.waitUntilFinished(events, 60_000).catch(() => undefined);
      return (await tasks.findById(task!.id))!;
    },
    async close() {
      await events.close();
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await api.close();
    },
  };
}
