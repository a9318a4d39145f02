import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { RequestContext } from '@glimpse/domain';
import { MetadefRepository } from '@glimpse/persistence';
import { Ctx } from '../auth/ctx.decorator.js';
import { MetadefAccess } from './metadef-access.js';
import { MetadefContentsService } from './metadef-contents.service.js';
import { associationView, resourceTypeView } from './metadef-views.js';

/** /v2/metadefs/resource_types and the associations of a namespace with them. */
@Controller('v2/metadefs')
export class ResourceTypesController {
  constructor(
    private readonly repo: MetadefRepository,
    private readonly contents: MetadefContentsService,
    private readonly access: MetadefAccess,
  ) {}

  @Get('resource_types')
  async index(@Ctx() ctx: RequestContext) {
    this.access.enforce(ctx, 'list_metadef_resource_types');
    return { resource_types: (await this.repo.listResourceTypes()).map(resourceTypeView) };
  }

  @Get('namespaces/:ns/resource_types')
  async associations(@Ctx() ctx: RequestContext, @Param('ns') ns: string) {
    const { items } = await this.contents.list(ctx, ns, 'resource_type_association');
    return { resource_type_associations: items.map(associationView) };
  }

  @Post('namespaces/:ns/resource_types')
  @HttpCode(201)
  async associate(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Body() body: unknown) {
    return associationView((await this.contents.create(ctx, ns, 'resource_type_association', body)).item);
  }

  @Delete('namespaces/:ns/resource_types/:rt')
  @HttpCode(204)
  async dissociate(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('rt') rt: string): Promise<void> {
    await this.contents.delete(ctx, ns, 'resource_type_association', rt);
  }
}
