import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cron, { type ScheduledTask } from 'node-cron';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { JobName, type SweepJob, sweepJobId } from '@glimpse/contracts';
import { JobProducer } from '@glimpse/queue';
import { type Sweep, SWEEPS_TOKEN } from './sweep.js';

const SCHEDULE_OF: Record<SweepJob, keyof ConfigOf<'schedules'>> = {
  [JobName.AuditorSweep]: 'auditor',
  [JobName.ReplicatorSweep]: 'replicator',
  [JobName.UpdaterSweep]: 'updater',
  [JobName.ReaperSweep]: 'reaper',
};

/**
 * Every worker replica runs the same node-cron schedules. A tick only enqueues the sweep's job with an id
 * derived from the sweep and the tick's scheduled time, which BullMQ accepts once: N replicas, one run.
 */
@Injectable()
export class MaintenanceScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MaintenanceScheduler.name);
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    @Inject(SWEEPS_TOKEN) private readonly sweeps: Sweep[],
    private readonly producer: JobProducer,
    @InjectConfig('schedules') private readonly schedules: ConfigOf<'schedules'>,
  ) {}

  onApplicationBootstrap(): void {
    for (const sweep of this.sweeps) {
      const schedule = this.schedules[SCHEDULE_OF[sweep.job]];
      if (!schedule) continue;
      const task = cron.schedule(schedule, (ctx) => this.tick(sweep.job, ctx.date), { name: sweep.job, noOverlap: false });
      this.tasks.push(task);
      this.logger.log(`${sweep.job} scheduled: ${schedule}`);
    }
  }

  async tick(job: SweepJob, scheduled: Date): Promise<void> {
    const tick = new Date(Math.floor(scheduled.getTime() / 1000) * 1000);
    try {
      await this.producer.enqueue(job, { tick: tick.toISOString(), trigger: 'schedule' }, { jobId: sweepJobId(job, tick) });
    } catch (err) {
      this.logger.error(`could not enqueue ${job} for ${tick.toISOString()}: ${(err as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    for (const task of this.tasks) await task.destroy();
  }
}
