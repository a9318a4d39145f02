import { Controller, Delete, Get, Head, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { forbidden, GlimpseError, type Image, invalid, notFound, Policy, type RequestContext, unavailable } from '@glimpse/domain';
import { ImageListing } from '@glimpse/persistence';
import { Ctx } from '../auth/ctx.decorator.js';
import { ImageDownloadService } from '../images/data/image-download.service.js';
import { streamDownload } from '../images/data/stream-download.js';
import type { RawQuery } from '../images/listing/list-query.js';
import { enforce, ownProject } from '../policy/enforce.js';
import { imageMetaHeaders } from './image-meta-headers.js';
import { V1ImageAccess } from './v1-image-access.js';
import { v1BriefView, v1ImageView } from './v1-image-view.js';
import { parseV1ListQuery } from './v1-list-query.js';
import { V1ImagesService } from './v1-images.service.js';

/**
 * /v1/images: the brief and detailed lists, HEAD (metadata in headers), GET (the data), POST and PUT (metadata in
 * headers, data in the body or copied from a URL), DELETE.
 */
@Controller('v1/images')
export class V1ImagesController {
  constructor(
    private readonly listing: ImageListing,
    private readonly access: V1ImageAccess,
    private readonly downloads: ImageDownloadService,
    private readonly policy: Policy,
    private readonly service: V1ImagesService,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const image = await this.service.create(ctx, req);
    res.setHeader('Location', `/v1/images/${image.id}`);
    if (image.checksum) res.setHeader('ETag', image.checksum);
    return { image: v1ImageView(image) };
  }

  @Put(':id')
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const image = await this.service.update(ctx, id, req);
    if (image.checksum) res.setHeader('ETag', image.checksum);
    return { image: v1ImageView(image) };
  }

  /** 200 with an empty body, as v1 answered (its api-ref said 204). */
  @Delete(':id')
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string, @Res() res: Response): Promise<void> {
    await this.service.delete(ctx, id);
    res.status(200).type('text/html; charset=UTF-8').setHeader('Content-Length', '0');
    res.end();
  }

  /** Declared before GET detail, which Express would otherwise let answer HEAD too. */
  @Head('detail')
  detailHead(): never {
    throw new GlimpseError('method-not-allowed', 'The method HEAD is not allowed for this resource.', { Allow: 'GET' });
  }

  @Get()
  async brief(@Ctx() ctx: RequestContext, @Query() query: RawQuery) {
    return { images: (await this.page(ctx, query)).map(v1BriefView) };
  }

  @Get('detail')
  async detail(@Ctx() ctx: RequestContext, @Query() query: RawQuery) {
    return { images: (await this.page(ctx, query)).map(v1ImageView) };
  }

  @Head(':id')
  async head(@Ctx() ctx: RequestContext, @Param('id') id: string, @Res() res: Response): Promise<void> {
    const image = await this.access.visible(ctx, id);
    describe(res, image);
    res.status(200).type('text/html; charset=UTF-8').setHeader('Content-Length', '0');
    res.end();
  }

  /** The data, with the image's metadata headers; only an active image has data to give (no Range in v1). */
  @Get(':id')
  async download(@Ctx() ctx: RequestContext, @Param('id') id: string, @Res() res: Response): Promise<void> {
    const image = await this.access.visible(ctx, id);
    if (image.status === 'deactivated') throw forbidden(`Image ${id} is deactivated`);
    if (image.status !== 'active') throw notFound(`Image ${id} is not active`);
    const download = await this.downloads.open(ctx, id, {});
    const { body } = download;
    // A location whose size the checksum job has not learnt yet (or could not: its URL was refused) has no data
    // to promise: not an empty 200.
    if (!body && image.locations.some((l) => l.status === 'active')) throw unavailable(`The data of image ${id} is not available; try again later.`);
    describe(res, image);
    res.status(200).setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(body ? (image.size ?? 0) : 0));
    if (!body) {
      res.end();
      return;
    }
    // A store failing mid-way (headers gone) cuts the response short, as v1 did.
    await streamDownload({ ...download, body }, res);
  }

  private async page(ctx: RequestContext, query: RawQuery): Promise<Image[]> {
    enforce(this.policy, ctx, 'get_images', ownProject(ctx));
    const parsed = parseV1ListQuery(query, ctx);
    try {
      return await this.listing.page(parsed, { projectId: ctx.projectId, isAdmin: ctx.isAdmin });
    } catch (err) {
      if (err instanceof GlimpseError && err.kind === 'invalid' && parsed.marker !== undefined) throw invalid('Invalid marker. Image could not be found.');
      throw err;
    }
  }
}

/** The image's x-image-meta-* headers and its ETag (the MD5 checksum, when there is one). */
export function describe(res: Response, image: Image): void {
  for (const [name, value] of imageMetaHeaders(image)) res.setHeader(name, value);
  if (image.checksum) res.setHeader('ETag', image.checksum);
}
