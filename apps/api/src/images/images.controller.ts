import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { Policy, type RequestContext } from '@glimpse/domain';
import { enforce, ownProject } from '../policy/enforce.js';
import { Ctx } from '../auth/ctx.decorator.js';
import { baseUrl } from '../http/base-url.js';
import { imageView } from './image-view.js';
import { ImagesService } from './images.service.js';
import { LIMIT_MAX, pageLinks } from './listing/page-links.js';
import { parseListQuery, type RawQuery } from './listing/list-query.js';
import { ImageListing } from '@glimpse/persistence';
import { StoreRegistry } from '@glimpse/storage';

@Controller('v2/images')
export class ImagesController {
  constructor(
    private readonly images: ImagesService,
    private readonly listing: ImageListing,
    private readonly stores: StoreRegistry,
    private readonly policy: Policy,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
    @InjectConfig('http') private readonly http: ConfigOf<'http'>,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Ctx() ctx: RequestContext, @Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const image = await this.images.create(ctx, body);
    res.setHeader('Location', `${baseUrl(this.http, req)}/v2/images/${image.id}`);
    // What the client may do next, as Glance announces it: the import methods and the stores it can target.
    res.setHeader('OpenStack-image-import-methods', this.importConfig.methods.join(','));
    res.setHeader('OpenStack-image-store-ids', this.stores.stores.filter((st) => !st.readOnly).map((st) => st.id).join(','));
    return imageView(image);
  }

  @Get()
  async list(@Ctx() ctx: RequestContext, @Query() query: RawQuery, @Req() req: Request) {
    enforce(this.policy, ctx, 'get_images', ownProject(ctx));
    const parsed = parseListQuery(query, LIMIT_MAX);
    const images = await this.listing.page(parsed, { projectId: ctx.projectId, isAdmin: ctx.isAdmin });
    return { images: images.map((i) => imageView(i)), ...pageLinks(req.url, images.length === parsed.limit ? images.at(-1)?.id : undefined), schema: '/v2/schemas/images' };
  }

  @Get(':id')
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return imageView(await this.images.get(ctx, id));
  }

  @Patch(':id')
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Headers('content-type') type: string | undefined, @Body() body: unknown) {
    return imageView(await this.images.update(ctx, id, type, body));
  }

  @Put(':id/tags/:tag')
  @HttpCode(204)
  async addTag(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('tag') tag: string): Promise<void> {
    await this.images.addTag(ctx, id, tag);
  }

  @Delete(':id/tags/:tag')
  @HttpCode(204)
  async removeTag(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('tag') tag: string): Promise<void> {
    await this.images.removeTag(ctx, id, tag);
  }

  @Post(':id/actions/deactivate')
  @HttpCode(204)
  async deactivate(@Ctx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    await this.images.deactivate(ctx, id);
  }

  @Post(':id/actions/reactivate')
  @HttpCode(204)
  async reactivate(@Ctx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    await this.images.reactivate(ctx, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    await this.images.delete(ctx, id);
  }
}
