import { Module } from '@nestjs/common';
import { MetadefsPersistenceModule } from '@glimpse/persistence';
import { MetadefAccess } from './metadef-access.js';
import { MetadefObjectsController, MetadefPropertiesController, MetadefTagsController } from './metadef-contents.controller.js';
import { MetadefContentsService } from './metadef-contents.service.js';
import { MetadefSchemasController } from './metadef-schemas.controller.js';
import { NamespacesController } from './namespaces.controller.js';
import { NamespacesService } from './namespaces.service.js';
import { ResourceTypesController } from './resource-types.controller.js';

/** The metadata definitions catalog: /v2/metadefs/... and /v2/schemas/metadefs/... */
@Module({
  imports: [MetadefsPersistenceModule],
  controllers: [
    ResourceTypesController,
    NamespacesController,
    MetadefObjectsController,
    MetadefPropertiesController,
    MetadefTagsController,
    MetadefSchemasController,
  ],
  providers: [MetadefAccess, NamespacesService, MetadefContentsService],
})
export class MetadefsModule {}
