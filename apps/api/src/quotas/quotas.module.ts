import { Module } from '@nestjs/common';
import { ImagesPersistenceModule, QuotasPersistenceModule } from '@glimpse/persistence';
import { QueuedImageLimit } from './queued-image-limit.js';
import { QuotaService } from './quota.service.js';

/** Per-project quotas: the holds upload, stage, import and create take, and the limit on queued images. */
@Module({
  imports: [QuotasPersistenceModule, ImagesPersistenceModule],
  providers: [QuotaService, QueuedImageLimit],
  exports: [QuotaService, QueuedImageLimit],
})
export class QuotasModule {}
