import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { AuditFindingDoc, MaintenanceStateDoc } from './audit-finding.schema.js';

export interface AuditFinding {
  imageId: string;
  store: string;
  problem: string;
  foundAt: Date;
  location?: string | null;
}

/** The auditor's findings (what an admin lists) and its rotating cursor. */
@Injectable()
export class AuditFindingRepository {
  constructor(
    @InjectModel(AuditFindingDoc.name) private readonly findings: Model<AuditFindingDoc>,
    @InjectModel(MaintenanceStateDoc.name) private readonly state: Model<MaintenanceStateDoc>,
  ) {}

  /** Records a finding; one already recorded for the same copy keeps the time it was first found. */
  async record(f: AuditFinding): Promise<void> {
    const { foundAt, ...rest } = f;
    await this.findings.updateOne({ _id: `${f.imageId}/${f.store}` }, { $set: rest, $setOnInsert: { foundAt } }, { upsert: true }).exec();
  }

  /** Orphan objects first found before `before` (the reaper's candidates). */
  async orphansFoundBefore(before: Date, limit = 1000): Promise<AuditFinding[]> {
    const docs = await this.findings.find({ problem: 'orphan', foundAt: { $lte: before } }).limit(limit).lean<AuditFindingDoc[]>().exec();
    return docs.map(({ imageId, store, problem, foundAt, location }) => ({ imageId, store, problem, foundAt, location }));
  }

  async remove(imageId: string, store: string): Promise<void> {
    await this.findings.deleteOne({ _id: `${imageId}/${store}` }).exec();
  }

  async list(limit = 100): Promise<AuditFinding[]> {
    const docs = await this.findings.find().sort({ foundAt: -1 }).limit(limit).lean<AuditFindingDoc[]>().exec();
    return docs.map(({ imageId, store, problem, foundAt, location }) => ({ imageId, store, problem, foundAt, location }));
  }

  /** What the auditor found for one image, a finding per store. */
  async forImage(imageId: string): Promise<AuditFinding[]> {
    const docs = await this.findings.find({ imageId }).lean<AuditFindingDoc[]>().exec();
    return docs.map(({ imageId, store, problem, foundAt, location }) => ({ imageId, store, problem, foundAt, location }));
  }

  async cursor(sweep: string): Promise<string> {
    return (await this.state.findById(sweep).lean<MaintenanceStateDoc>().exec())?.cursor ?? '';
  }

  async setCursor(sweep: string, cursor: string): Promise<void> {
    await this.state.updateOne({ _id: sweep }, { $set: { cursor } }, { upsert: true }).exec();
  }
}
