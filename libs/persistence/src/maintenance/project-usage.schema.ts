import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** Per-project usage recomputed from the image records by the updater: image count and bytes per status. */
@Schema({ collection: 'project_usage', versionKey: false, _id: false })
export class ProjectUsageDoc {
  /** The owner project id ('' for images without an owner). */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: Object, required: true }) counts!: Record<string, number>;
  @Prop({ type: Object, required: true }) bytes!: Record<string, number>;
  @Prop({ type: Date, required: true }) computedAt!: Date;
}

export const ProjectUsageSchema = SchemaFactory.createForClass(ProjectUsageDoc);
