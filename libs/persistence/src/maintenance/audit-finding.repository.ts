import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { AuditFindingDoc, MaintenanceStateDoc } from './audit-finding.schema.js';

export interface AuditFinding {
  imageId: string;
  store: string;
  problem: string;
  foundAt: Date;
}

/** The auditor's findings (what an admin lists) and its rotating cursor. */
@Injectable()
export class AuditFindingRepository {
  constructor(
    @InjectModel(AuditFindingDoc.name) private readonly findings: Model<AuditFindingDoc>,
    @InjectModel(MaintenanceStateDoc.name) private readonly state: Model<MaintenanceStateDoc>,
  ) {}

  async record(f: AuditFinding): Promise<void> {
    await this.findings.updateOne({ _id: `${f.imageId}/${f.store}` }, { $set: { ...f } }, { upsert: true }).exec();
  }

  async list(limit = 100): Promise<AuditFinding[]> {
    const docs = await this.findings.find().sort({ foundAt: -1 }).limit(limit).lean<AuditFindingDoc[]>().exec();
    return docs.map(({ imageId, store, problem, foundAt }) => ({ imageId, store, problem, foundAt }));
  }

  async cursor(sweep: string): Promise<string> {
    return (await this.state.findById(sweep).lean<MaintenanceStateDoc>().exec())?.cursor ?? '';
  }

  async setCursor(sweep: string, cursor: string): Promise<void> {
    await this.state.updateOne({ _id: sweep }, { $set: { cursor } }, { upsert: true }).exec();
  }
}
