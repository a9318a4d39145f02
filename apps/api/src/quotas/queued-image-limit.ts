import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { tooLarge } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';

/**
 * OSSN-0076: a project may hold at most GLIMPSE_QUEUED_IMAGES_PER_PROJECT images in `queued` (records without
 * data), whichever API creates them; one more answers 413 in the words of Glance's unified limits. Soft, as
 * Glance's limits are: creates racing each other may each see room for one.
 */
@Injectable()
export class QueuedImageLimit {
  constructor(
    private readonly images: ImageRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async assertRoom(project: string | null): Promise<void> {
    const limit = this.config.limits.queuedImagesPerProject;
    if (project === null || limit < 0) return;
    const queued = await this.images.countQueued(project, limit);
    if (queued >= limit) {
      throw tooLarge(`Project ${project} is over a limit for [Resource queued images is over limit of ${limit} due to current usage ${queued} and delta 1]`);
    }
  }
}
