import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import type { RequestContext } from '@glimpse/domain';
import { Ctx } from '../auth/ctx.decorator.js';
import { ImportService } from './import.service.js';

@Controller()
export class ImportController {
  constructor(
    private readonly imports: ImportService,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
  ) {}

  /** 202 with an empty body, as Glance answers; the task is visible under /v2/images/{id}/tasks. */
  @Post('v2/images/:id/import')
  @HttpCode(202)
  async import(
    @Ctx() ctx: RequestContext,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('x-image-meta-store') headerStore: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    const requestId = (req as Request & { id?: string }).id ?? null;
    await this.imports.start(ctx, id, { body, headerStore: headerStore || undefined, requestId });
    res.type('text/html');
  }

  @Get('v2/info/import')
  info() {
    return {
      'import-methods': { description: 'Import methods available.', type: 'array', value: this.importConfig.methods },
    };
  }
}
