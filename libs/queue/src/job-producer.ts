import { getQueueToken } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type Job, type Queue } from 'bullmq';
import { type JobName, type JobPayload, JobQueue, type JobResult, jobDefaults } from '@glimpse/contracts';

export interface EnqueueOptions {
  /** Deterministic id: a second enqueue with the same id is ignored by BullMQ while the first job exists. */
  jobId?: string;
  delayMs?: number;
}

/** The one way to put work on a queue: typed by job name, with the job's retry and retention defaults. */
@Injectable()
export class JobProducer {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly moduleRef: ModuleRef) {}

  queueFor(name: JobName): Queue {
    const queueName = JobQueue[name];
    let queue = this.queues.get(queueName);
    if (!queue) {
      queue = this.moduleRef.get<Queue>(getQueueToken(queueName), { strict: false });
      this.queues.set(queueName, queue);
    }
    return queue;
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options: EnqueueOptions = {},
  ): Promise<Job<JobPayload<N>, JobResult<N>, N>> {
    const defaults = jobDefaults[name];
    return (await this.queueFor(name).add(name, payload, {
      ...defaults,
      jobId: options.jobId,
      delay: options.delayMs,
    })) as Job<JobPayload<N>, JobResult<N>, N>;
  }
}
