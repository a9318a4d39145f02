import { Controller, Get, Headers, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { RequestContext } from '@glimpse/domain';
import { Ctx } from '../../auth/ctx.decorator.js';
import { ImageDownloadService } from './image-download.service.js';
import { ImageUploadService } from './image-upload.service.js';
import { streamDownload } from './stream-download.js';

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
    const download = await this.downloads.open(ctx, id, {
      range: req.get('range'),
      contentRange: req.get('content-range'),
    });
    const { image, body, range } = download;
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
    await streamDownload({ ...download, body }, res);
  }
}
