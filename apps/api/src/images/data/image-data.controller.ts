import { Controller, Get, Headers, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { RequestContext } from '@glimpse/domain';
import { Ctx } from '../../auth/ctx.decorator.js';
import { ImageDownloadService } from './image-download.service.js';
import { ImageUploadService } from './image-upload.service.js';

/** Image data: upload, stage, download. Bodies stream; nothing here holds an image in memory. */
@Controller('v2/images/:id')
export class ImageDataController {
  constructor(
    private readonly uploads: ImageUploadService,
    private readonly downloads: ImageDownloadService,
  ) {}

  @Put('file')
  @HttpCode(204)
  async upload(
    @Ctx() ctx: RequestContext,
    @Param('id') id: string,
    @Headers('x-image-meta-store') store: string | undefined,
    @Req() req: Request,
  ): Promise<void> {
    await this.uploads.upload(ctx, id, req, store || undefined);
  }

  @Put('stage')
  @HttpCode(204)
  async stage(@Ctx() ctx: RequestContext, @Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.uploads.stage(ctx, id, req);
  }

  @Get('file')
  async download(@Ctx() ctx: RequestContext, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { image, body, range } = await this.downloads.open(ctx, id, {
      range: req.get('range'),
      contentRange: req.get('content-range'),
    });
    if (!body) {
      res.status(204).end();
      return;
    }
    const size = image.size!;
    res.status(range ? 206 : 200);
    res.setHeader('Content-Type', 'application/octet-stream');
    if (image.checksum) res.setHeader('Content-MD5', image.checksum);
    if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : size));
    // pipeline keeps to the client's pace; a store failing mid-way (headers gone) cuts the connection.
    await pipeline(body, res).catch(() => res.destroy());
  }
}
