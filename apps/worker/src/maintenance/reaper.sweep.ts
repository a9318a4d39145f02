import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { JobName, type SweepPayload, type SweepResult } from '@glimpse/contracts';
import { ImageStatus } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import type { Sweep } from './sweep.js';

const PAGE = 500;

/**
 * The reaper's tick: pages (by id) through the images that have something to reap — deleted ones still holding
 * data or past retention, pending_delete ones past scrub_time, killed ones past their grace — and enqueues one
 * reap-image job per image with an id made of the image and the tick, so a replayed tick adds nothing.
 */
@Injectable()
export class ReaperSweep implements Sweep {
  readonly job = JobName.ReaperSweep;

  constructor(
    private readonly images: ImageRepository,
    private readonly producer: JobProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(payload: SweepPayload, signal: AbortSignal): Promise<SweepResult> {
    const now = Date.now();
    const rules = this.config.reaper;
    const due = {
      $or: [
        { status: ImageStatus.Deleted, locations: { $ne: [] } },
        { status: ImageStatus.Deleted, deletedAt: { $lte: new Date(now - rules.deletedRetentionMs) } },
        { status: ImageStatus.PendingDelete, deletedAt: { $lte: new Date(now - rules.scrubTimeMs) } },
        { status: ImageStatus.Killed, updatedAt: { $lte: new Date(now - rules.killedGraceMs) } },
      ],
    };
    const tick = payload.tick.replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    let after = '';
    let candidates = 0;
    for (;;) {
      signal.throwIfAborted();
      const page = await this.images.model
        .find({ $and: [due, { _id: { $gt: after } }] })
        .sort({ _id: 1 })
        .limit(PAGE)
        .select({ _id: 1 })
        .lean<{ _id: string }[]>()
        .exec();
      for (const { _id } of page) await this.producer.enqueue(JobName.ReapImage, { imageId: _id }, { jobId: `reap-${_id}@${tick}` });
      candidates += page.length;
      if (page.length < PAGE) break;
      after = page.at(-1)!._id;
    }
    return { candidates, enqueued: candidates, bytes: 0, errors: 0 };
  }
}
