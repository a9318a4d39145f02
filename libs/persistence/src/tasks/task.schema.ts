import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'tasks', versionKey: false, _id: false })
export class TaskDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) type!: string;
  @Prop({ type: String, required: true }) status!: string;
  @Prop({ type: Object, default: null }) input!: Record<string, unknown> | null;
  @Prop({ type: Object, default: null }) result!: Record<string, unknown> | null;
  @Prop({ type: String, default: null }) owner!: string | null;
  @Prop({ type: String, default: '' }) message!: string;
  @Prop({ type: String, default: null }) imageId!: string | null;
  @Prop({ type: String, default: null }) requestId!: string | null;
  @Prop({ type: String, default: null }) userId!: string | null;
  @Prop({ type: Number, default: 0 }) bytesDone!: number;
  @Prop({ type: Number, default: null }) bytesTotal!: number | null;
  @Prop({ type: Date, default: null }) expiresAt!: Date | null;
  /** The worker's note of its outcome (Task.outcome): internal, never shown. */
  @Prop({ type: Object, default: null }) outcome!: Record<string, unknown> | null;
  @Prop({ type: Date, required: true }) createdAt!: Date;
  @Prop({ type: Date, required: true }) updatedAt!: Date;
}

export const TaskSchema = SchemaFactory.createForClass(TaskDoc);
// GET /v2/images/{id}/tasks: an image's tasks, newest first.
TaskSchema.index({ imageId: 1, createdAt: -1 });
// GET /v2/tasks: by owner (non-admin) or all (admin), default sort created_at desc with the id tie-break.
TaskSchema.index({ owner: 1, createdAt: -1, _id: -1 });
TaskSchema.index({ createdAt: -1, _id: -1 });
// Expiry sweep.
TaskSchema.index({ expiresAt: 1 });
