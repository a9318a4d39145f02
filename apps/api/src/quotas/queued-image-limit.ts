import { Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
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
    @InjectConfig('limits') private readonly limits: ConfigOf<'limits'>,
  ) {}

  async assertRoom(project: string | null): Promise<void> {
    const limit = this.limits.queuedImagesPerProject;
    if (project === null || limit < 0) return;
    const queued = await this.images.countQueued(project, limit);
    if (queued >= limit) {
      throw tooLarge(`Project ${project} is over a limit for [Resource queued images is over limit of ${limit} due to current usage ${queued} and delta 1]`);
    }
  }
}
