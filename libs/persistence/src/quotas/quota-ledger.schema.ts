import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One reservation: what an operation in flight claims for its image until the image's record shows it. */
export interface QuotaHoldDoc {
  image_size_total: number;
  image_stage_total: number;
  image_count_total: number;
  image_count_uploading: number;
  /** The image it claims usage for (each image counts the larger of its record and its holds). */
  image: string;
  /** Last time its owner confirmed it (created or heartbeat); request holds older than the TTL are dead. */
  at: Date;
  /** An import's task id: the hold lives while that task is pending or processing, whatever its age. */
  task?: string;
}

/**
 * Per-project reservations. Every write bumps `rev`, and a reservation is written only if `rev` is still the one it
 * read before measuring the project's records: two reservations never both pass on the same free room.
 */
@Schema({ collection: 'quota_ledgers', versionKey: false, _id: false, minimize: false })
export class QuotaLedgerDoc {
  /** The owner project id. */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: Number, required: true, default: 0 }) rev!: number;
  @Prop({ type: Object, required: true, default: {} }) holds!: Record<string, QuotaHoldDoc>;
}

export const QuotaLedgerSchema = SchemaFactory.createForClass(QuotaLedgerDoc);
