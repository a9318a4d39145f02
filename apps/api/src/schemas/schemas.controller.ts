import { Controller, Get, Param } from '@nestjs/common';
import { notFound } from '@glimpse/domain';
import { imageSchema } from './image.schema-doc.js';
import { memberSchema } from './member.schema-doc.js';

/** A collection schema around an item schema, as Glance builds them (with first/next links for images). */
function collection(name: string, item: object, paged: boolean): object {
  const page = paged ? { first: { type: 'string' }, next: { type: 'string' } } : {};
  return {
    name,
    properties: { [name]: { type: 'array', items: item }, ...page, schema: { type: 'string' } },
    links: [...(paged ? [{ rel: 'first', href: '{first}' }, { rel: 'next', href: '{next}' }] : []), { rel: 'describedby', href: '{schema}' }],
  };
}

/**
 * The image schema as published. It describes the same document the API validates against, with one change of
 * form: `stores` (read-only) is given under `patternProperties` instead of `properties`. The stock `glance` CLI
 * (glanceclient 4.1.0) turns every entry of `properties` into a command-line option, and `--stores` then clashes
 * with `image-create-via-import --stores`: from its second run on (once it has cached this schema) every command
 * stopped with "argument --stores: conflicting option string". A pattern property is the same constraint in JSON
 * Schema (an attribute named `stores`, a read-only string), so the document still tells the truth.
 */
function published(schema: typeof imageSchema): object {
  const { stores, ...properties } = schema.properties;
  return { ...schema, properties, patternProperties: { '^stores$': stores } };
}
const publishedImage = published(imageSchema);

const SCHEMAS: Record<string, object> = {
  image: publishedImage,
  images: collection('images', publishedImage, true),
  member: memberSchema,
  members: collection('members', memberSchema, false),
};

/** GET /v2/schemas/{image,images,member,members}: the documents the API validates requests against (see `published`). */
@Controller('v2/schemas')
export class SchemasController {
  @Get(':name')
  show(@Param('name') name: string): object {
    const schema = Object.hasOwn(SCHEMAS, name) ? SCHEMAS[name] : undefined;
    if (!schema) throw notFound('The resource could not be found.');
    return schema;
  }
}
