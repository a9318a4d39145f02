import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A problem the auditor found with one stored copy; `_id` is `<image id>/<store id>`, so a repeat updates it. */
@Schema({ collection: 'audit_findings', versionKey: false, _id: false })
export class AuditFindingDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) imageId!: string;
  @Prop({ type: String, required: true }) store!: string;
  @Prop({ type: String, required: true }) problem!: string;
  /** The object's location (kept for orphans, which no image records). */
  @Prop({ type: String, default: null }) location!: string | null;
  @Prop({ type: Date, required: true }) foundAt!: Date;
}

export const AuditFindingSchema = SchemaFactory.createForClass(AuditFindingDoc);
AuditFindingSchema.index({ foundAt: -1 });
AuditFindingSchema.index({ problem: 1, foundAt: 1 });

/** Where the auditor's rotating re-hash sample stopped last time (one document per sweep). */
@Schema({ collection: 'maintenance_state', versionKey: false, _id: false })
export class MaintenanceStateDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, default: '' }) cursor!: string;
}

export const MaintenanceStateSchema = SchemaFactory.createForClass(MaintenanceStateDoc);
