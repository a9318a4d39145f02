import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import type { RequestContext } from '@glimpse/domain';
import { Ctx } from '../auth/ctx.decorator.js';
import { MetadefContentsService } from './metadef-contents.service.js';
import { objectView, propertiesMap, propertyView, tagView } from './metadef-views.js';

/** /v2/metadefs/namespaces/{ns}/objects */
@Controller('v2/metadefs/namespaces/:ns/objects')
export class MetadefObjectsController {
  constructor(private readonly contents: MetadefContentsService) {}

  @Get()
  async index(@Ctx() ctx: RequestContext, @Param('ns') ns: string) {
    const { items } = await this.contents.list(ctx, ns, 'object');
    return { objects: items.map((o) => objectView(ns, o)), schema: 'v2/schemas/metadefs/objects' };
  }

  @Post()
  @HttpCode(201)
  async create(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Body() body: unknown) {
    const { item } = await this.contents.create(ctx, ns, 'object', body);
    return objectView(ns, item);
  }

  @Delete()
  @HttpCode(204)
  async removeAll(@Ctx() ctx: RequestContext, @Param('ns') ns: string): Promise<void> {
    await this.contents.deleteAll(ctx, ns, 'object');
  }

  @Get(':name')
  async show(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string) {
    return objectView(ns, await this.contents.get(ctx, ns, 'object', name));
  }

  @Put(':name')
  async update(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string, @Body() body: unknown) {
    const { item } = await this.contents.update(ctx, ns, 'object', name, body);
    return objectView(ns, item);
  }

  @Delete(':name')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string): Promise<void> {
    await this.contents.delete(ctx, ns, 'object', name);
  }
}

/** /v2/metadefs/namespaces/{ns}/properties */
@Controller('v2/metadefs/namespaces/:ns/properties')
export class MetadefPropertiesController {
  constructor(private readonly contents: MetadefContentsService) {}

  @Get()
  async index(@Ctx() ctx: RequestContext, @Param('ns') ns: string) {
    const { items } = await this.contents.list(ctx, ns, 'property');
    return { properties: propertiesMap(items) };
  }

  @Post()
  @HttpCode(201)
  async create(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Body() body: unknown) {
    return propertyView((await this.contents.create(ctx, ns, 'property', body)).item);
  }

  @Delete()
  @HttpCode(204)
  async removeAll(@Ctx() ctx: RequestContext, @Param('ns') ns: string): Promise<void> {
    await this.contents.deleteAll(ctx, ns, 'property');
  }

  @Get(':name')
  async show(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string, @Query('resource_type') rt?: string) {
    const property = await this.contents.getProperty(ctx, ns, name, typeof rt === 'string' && rt ? rt : undefined);
    return propertyView(property, name);
  }

  @Put(':name')
  async update(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string, @Body() body: unknown) {
    return propertyView((await this.contents.update(ctx, ns, 'property', name, body)).item);
  }

  @Delete(':name')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string): Promise<void> {
    await this.contents.delete(ctx, ns, 'property', name);
  }
}

/** /v2/metadefs/namespaces/{ns}/tags */
@Controller('v2/metadefs/namespaces/:ns/tags')
export class MetadefTagsController {
  constructor(private readonly contents: MetadefContentsService) {}

  @Get()
  async index(@Ctx() ctx: RequestContext, @Param('ns') ns: string) {
    const { items } = await this.contents.list(ctx, ns, 'tag');
    return { tags: items.map(tagView) };
  }

  @Post()
  @HttpCode(201)
  async createMany(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Body() body: unknown, @Headers('x-openstack-append') append?: string) {
    const tags = await this.contents.createTags(ctx, ns, body, /^(1|t|true|on|y|yes)$/i.test(append ?? ''));
    return { tags: tags.map((t) => ({ name: t.name })) };
  }

  @Delete()
  @HttpCode(204)
  async removeAll(@Ctx() ctx: RequestContext, @Param('ns') ns: string): Promise<void> {
    await this.contents.deleteAll(ctx, ns, 'tag');
  }

  @Get(':name')
  async show(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string) {
    return tagView(await this.contents.get(ctx, ns, 'tag', name));
  }

  @Post(':name')
  @HttpCode(201)
  async create(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string) {
    return tagView((await this.contents.create(ctx, ns, 'tag', {}, name)).item);
  }

  @Put(':name')
  async update(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string, @Body() body: unknown) {
    return tagView((await this.contents.update(ctx, ns, 'tag', name, body)).item);
  }

  @Delete(':name')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Param('name') name: string): Promise<void> {
    await this.contents.delete(ctx, ns, 'tag', name);
  }
}
