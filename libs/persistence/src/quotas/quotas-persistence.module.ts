import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ImagesPersistenceModule } from '../images/images-persistence.module.js';
import { TaskDoc, TaskSchema } from '../tasks/task.schema.js';
import { QuotaLedgerRepository } from './quota-ledger.repository.js';
import { QuotaLedgerDoc, QuotaLedgerSchema } from './quota-ledger.schema.js';

@Module({
  imports: [
    ImagesPersistenceModule,
    MongooseModule.forFeature([
      { name: QuotaLedgerDoc.name, schema: QuotaLedgerSchema },
      { name: TaskDoc.name, schema: TaskSchema },
    ]),
  ],
  providers: [QuotaLedgerRepository],
  exports: [QuotaLedgerRepository],
})
export class QuotasPersistenceModule {}
