import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One image in one API node's cache, or queued for it (Glance 2024.1's centralized cache driver keeps the same
 * in its database, with the node's URL). `_id` is `<node>|<image id>`: a node holds an image at most once.
 */
@Schema({ collection: 'image_cache_entries', versionKey: false, _id: false })
export class CacheEntryDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) node!: string;
  @Prop({ type: String, required: true }) imageId!: string;
  /** queued: waiting for the node's prefetcher; cached: a complete file whose checksum matched the image's. */
  @Prop({ type: String, required: true }) state!: 'queued' | 'cached';
  @Prop({ type: Date, required: true }) queuedAt!: Date;
  @Prop({ type: Number, default: 0 }) size!: number;
  @Prop({ type: String, default: null }) checksum!: string | null;
  @Prop({ type: Number, default: 0 }) hits!: number;
  @Prop({ type: Date, default: null }) lastAccessed!: Date | null;
  @Prop({ type: Date, default: null }) lastModified!: Date | null;
}

export const CacheEntrySchema = SchemaFactory.createForClass(CacheEntryDoc);
// A node's cache listing and its queue (GET /v2/cache, the prefetcher), and the pruner's least recently used first.
CacheEntrySchema.index({ node: 1, state: 1, lastAccessed: 1 });
// Which nodes hold an image.
CacheEntrySchema.index({ imageId: 1 });
