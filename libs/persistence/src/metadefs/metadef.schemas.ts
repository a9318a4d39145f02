import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A metadata definition namespace. Its _id is the namespace's name, so a duplicate name is refused by the
 * insert itself; `uid` stays the same across renames and is what its contents point at.
 */
@Schema({ collection: 'metadef_namespaces', versionKey: false, _id: false })
export class MetadefNamespaceDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) uid!: string;
  @Prop({ type: String, default: null }) displayName!: string | null;
  @Prop({ type: String, default: null }) description!: string | null;
  @Prop({ type: String, required: true }) visibility!: 'public' | 'private';
  @Prop({ type: Boolean, default: false }) protected!: boolean;
  @Prop({ type: String, default: null }) owner!: string | null;
  @Prop({ type: Date, required: true }) createdAt!: Date;
  @Prop({ type: Date, default: null }) updatedAt!: Date | null;
}

export const MetadefNamespaceSchema = SchemaFactory.createForClass(MetadefNamespaceDoc);
// GET /v2/metadefs/namespaces: public or own (non-admin) or all (admin), default order created_at desc.
MetadefNamespaceSchema.index({ visibility: 1, createdAt: -1 });
MetadefNamespaceSchema.index({ owner: 1, createdAt: -1 });
MetadefNamespaceSchema.index({ uid: 1 });

export type MetadefContentKind = 'object' | 'property' | 'tag' | 'resource_type_association';

/**
 * What a namespace holds: objects, properties, tags and resource-type associations. The _id is
 * `<kind>/<namespace uid>/<key>` (key = the name, lowercased for tags, which are case-insensitive), so a
 * duplicate is refused by the insert. `body` is the definition as JSON text: property names may hold
 * characters MongoDB field names may not.
 */
@Schema({ collection: 'metadef_contents', versionKey: false, _id: false })
export class MetadefContentDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) kind!: MetadefContentKind;
  @Prop({ type: String, required: true }) nsUid!: string;
  @Prop({ type: String, required: true }) name!: string;
  @Prop({ type: String, default: '{}' }) body!: string;
  /** Order among contents added together (a definition file's order). */
  @Prop({ type: Number, default: 0 }) seq!: number;
  @Prop({ type: Date, required: true }) createdAt!: Date;
  @Prop({ type: Date, default: null }) updatedAt!: Date | null;
}

export const MetadefContentSchema = SchemaFactory.createForClass(MetadefContentDoc);
// A namespace's objects / properties / tags / associations in creation order.
MetadefContentSchema.index({ nsUid: 1, kind: 1, createdAt: 1, seq: 1 });
// GET /v2/metadefs/namespaces?resource_types=...: namespaces associated with a resource type.
MetadefContentSchema.index({ kind: 1, name: 1 });

/** A resource type (OS::Glance::Image, ...). Those loaded from definition files are protected. */
@Schema({ collection: 'metadef_resource_types', versionKey: false, _id: false })
export class MetadefResourceTypeDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: Boolean, default: false }) protected!: boolean;
  @Prop({ type: Date, required: true }) createdAt!: Date;
  @Prop({ type: Date, default: null }) updatedAt!: Date | null;
}

export const MetadefResourceTypeSchema = SchemaFactory.createForClass(MetadefResourceTypeDoc);
