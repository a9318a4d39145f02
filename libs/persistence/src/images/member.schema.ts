import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'image_members', versionKey: false })
export class MemberDoc {
  @Prop({ type: String, required: true }) imageId!: string;
  @Prop({ type: String, required: true }) memberId!: string;
  @Prop({ type: String, required: true }) status!: string;
  @Prop({ type: Boolean, default: false }) canShare!: boolean;
  @Prop({ type: Date, required: true }) createdAt!: Date;
  @Prop({ type: Date, required: true }) updatedAt!: Date;
}

export const MemberSchema = SchemaFactory.createForClass(MemberDoc);
// One membership per (image, project): add, show, update and delete by these two keys.
MemberSchema.index({ imageId: 1, memberId: 1 }, { unique: true });
// Listing scope: the images a project is a member of, by status (and v1's /shared-images/{tenant}).
MemberSchema.index({ memberId: 1, status: 1 });
