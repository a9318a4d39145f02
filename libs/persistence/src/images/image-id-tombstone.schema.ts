import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The id of an image whose record the reaper purged: all that is left of it, so the id is never given out again
 * (OSSN-0075: a reused id could serve other data to whoever trusted the old image). Nothing ever removes one.
 */
@Schema({ collection: 'image_id_tombstones', versionKey: false, _id: false })
export class ImageIdTombstoneDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: Date, required: true }) purgedAt!: Date;
}

export const ImageIdTombstoneSchema = SchemaFactory.createForClass(ImageIdTombstoneDoc);
