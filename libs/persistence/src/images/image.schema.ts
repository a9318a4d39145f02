import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { createdBucketsOf, holdsDataOf, minuteOf } from './image-keys.js';

/** A custom property; kept as a key/value pair so any key (dots, dollars) is safe to store and query. */
export class PropertyDoc {
  k!: string;
  v!: string;
}

export class LocationDoc {
  url!: string;
  store!: string;
  metadata!: Record<string, unknown>;
  status!: 'active' | 'pending_delete' | 'bad';
}

@Schema({ collection: 'images', versionKey: false, _id: false })
export class ImageDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, default: null }) name!: string | null;
  @Prop({ type: String, required: true }) status!: string;
  @Prop({ type: String, required: true }) visibility!: string;
  @Prop({ type: Boolean, default: false }) protected!: boolean;
  @Prop({ type: Boolean, default: false }) osHidden!: boolean;
  @Prop({ type: String, default: null }) checksum!: string | null;
  @Prop({ type: String, default: null }) osHashAlgo!: string | null;
  @Prop({ type: String, default: null }) osHashValue!: string | null;
  @Prop({ type: String, default: null }) owner!: string | null;
  @Prop({ type: Number, default: null }) size!: number | null;
  @Prop({ type: Number, default: null }) virtualSize!: number | null;
  @Prop({ type: Number, default: 0 }) minDisk!: number;
  @Prop({ type: Number, default: 0 }) minRam!: number;
  @Prop({ type: String, default: null }) containerFormat!: string | null;
  @Prop({ type: String, default: null }) diskFormat!: string | null;
  @Prop({ type: Date, required: true }) createdAt!: Date;
  @Prop({ type: Date, required: true }) updatedAt!: Date;
  @Prop({ type: Date, default: null }) deletedAt!: Date | null;
  @Prop({ type: [String], default: [] }) tags!: string[];
  @Prop({ type: [{ k: String, v: String, _id: false }], default: [] }) props!: PropertyDoc[];
  /** Each custom property as one string, `JSON.stringify([k, v])`: what property filters match (and index). */
  @Prop({ type: [String], default: [] }) propPairs!: string[];
  @Prop({
    type: [{ url: String, store: String, metadata: Object, status: String, _id: false }],
    default: [],
  })
  locations!: LocationDoc[];
  @Prop({ type: Number, default: 0 }) rev!: number;
  /**
   * Derived keys FerretDB can find by equality (it pushes no range down): the second, minute, ten minutes, hour and day of `createdAt`
   * (the buckets of created_at-ordered pages, see image-keys.ts) and whether an import lock property is set.
   */
  @Prop({ type: Number, default(this: ImageDoc) { return createdBucketsOf(this.createdAt).createdSecond; } }) createdSecond!: number;
  @Prop({ type: Number, default(this: ImageDoc) { return createdBucketsOf(this.createdAt).createdMinute; } }) createdMinute!: number;
  @Prop({ type: Number, default(this: ImageDoc) { return createdBucketsOf(this.createdAt).createdTenMinutes; } }) createdTenMinutes!: number;
  @Prop({ type: Number, default(this: ImageDoc) { return createdBucketsOf(this.createdAt).createdHour; } }) createdHour!: number;
  @Prop({ type: Number, default(this: ImageDoc) { return createdBucketsOf(this.createdAt).createdDay; } }) createdDay!: number;
  @Prop({ type: Boolean, default: false }) importLocked!: boolean;
  /** The reaper's keys (image-keys.ts): whether a location is held, the minutes of deletedAt and updatedAt. */
  @Prop({ type: Boolean, default(this: ImageDoc) { return holdsDataOf(this.locations); } }) holdsData!: boolean;
  @Prop({ type: Number, default(this: ImageDoc) { return minuteOf(this.deletedAt); } }) deletedMinute!: number | null;
  @Prop({ type: Number, default(this: ImageDoc) { return minuteOf(this.updatedAt); } }) updatedMinute!: number;
}

export const ImageSchema = SchemaFactory.createForClass(ImageDoc);

// Listing: the default order (created_at desc, id desc) scoped by owner, and by visibility for public /
// community / shared scans. Filters on status narrow these further.
ImageSchema.index({ owner: 1, createdAt: -1, _id: -1 });
ImageSchema.index({ visibility: 1, createdAt: -1, _id: -1 });
ImageSchema.index({ status: 1, createdAt: -1, _id: -1 });
// Tag and custom-property filters.
ImageSchema.index({ tags: 1 });
ImageSchema.index({ propPairs: 1 });
