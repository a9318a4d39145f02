import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One run of a maintenance sweep; _id is the sweep's job id, so a tick has exactly one record. */
@Schema({ collection: 'maintenance_runs', versionKey: false, _id: false })
export class MaintenanceRunDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) job!: string;
  @Prop({ type: Date, required: true }) tick!: Date;
  @Prop({ type: String, required: true }) trigger!: string;
  @Prop({ type: String, required: true }) status!: string;
  @Prop({ type: String, required: true }) worker!: string;
  @Prop({ type: Number, default: 1 }) attempts!: number;
  @Prop({ type: Date, required: true }) startedAt!: Date;
  @Prop({ type: Date, default: null }) finishedAt!: Date | null;
  @Prop({ type: Number, default: null }) durationMs!: number | null;
  @Prop({ type: Object, default: null }) counts!: Record<string, number> | null;
  @Prop({ type: String, default: null }) error!: string | null;
}

export const MaintenanceRunSchema = SchemaFactory.createForClass(MaintenanceRunDoc);
// Admin listing: newest runs of one sweep (or of all).
MaintenanceRunSchema.index({ job: 1, startedAt: -1 });
MaintenanceRunSchema.index({ startedAt: -1 });
