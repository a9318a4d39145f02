import { Controller, Get, Param } from '@nestjs/common';
import { notFound } from '@glimpse/domain';
import { METADEF_SCHEMAS } from './metadef-schema-docs.js';

/** GET /v2/schemas/metadefs/{namespace,namespaces,object,objects,property,properties,tag,tags,resource_type,resource_types} */
@Controller('v2/schemas/metadefs')
export class MetadefSchemasController {
  @Get(':name')
  show(@Param('name') name: string) {
    const schema = Object.hasOwn(METADEF_SCHEMAS, name) ? METADEF_SCHEMAS[name] : undefined;
    if (!schema) throw notFound();
    return schema;
  }
}
