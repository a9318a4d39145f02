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

const SCHEMAS: Record<string, object> = {
  image: imageSchema,
  images: collection('images', imageSchema, true),
  member: memberSchema,
  members: collection('members', memberSchema, false),
};

/** GET /v2/schemas/{image,images,member,members}: the documents the API validates requests against. */
@Controller('v2/schemas')
export class SchemasController {
  @Get(':name')
  show(@Param('name') name: string): object {
    const schema = Object.hasOwn(SCHEMAS, name) ? SCHEMAS[name] : undefined;
    if (!schema) throw notFound('The resource could not be found.');
    return schema;
  }
}
