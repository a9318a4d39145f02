import { Module } from '@nestjs/common';
import { QuotasPersistenceModule } from '@glimpse/persistence';
import { QuotaService } from './quota.service.js';

/** Per-project quotas: the holds upload, stage, import and create take. */
@Module({
  imports: [QuotasPersistenceModule],
  providers: [QuotaService],
  exports: [QuotaService],
})
export class QuotasModule {}
