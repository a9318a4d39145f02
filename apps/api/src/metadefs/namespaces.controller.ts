import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { RequestContext } from '@glimpse/domain';
import { Ctx } from '../auth/ctx.decorator.js';
import { namespaceLocation } from './metadef-views.js';
import { NamespacesService } from './namespaces.service.js';

const LIST = '/v2/metadefs/namespaces';

@Controller('v2/metadefs/namespaces')
export class NamespacesController {
  constructor(private readonly namespaces: NamespacesService) {}

  @Get()
  async index(@Ctx() ctx: RequestContext, @Query() query: Record<string, unknown>, @Req() req: Request) {
    const { namespaces, next } = await this.namespaces.list(ctx, query);
    const params = new URLSearchParams(req.url.split('?')[1] ?? '');
    params.delete('marker');
    const first = params.size ? `${LIST}?${params}` : LIST;
    if (next !== undefined) params.set('marker', next);
    return { namespaces, first, schema: '/v2/schemas/metadefs/namespaces', ...(next !== undefined ? { next: `${LIST}?${params}` } : {}) };
  }

  @Post()
  @HttpCode(201)
  async create(@Ctx() ctx: RequestContext, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const view = await this.namespaces.create(ctx, body);
    res.setHeader('Location', namespaceLocation(view.namespace as string));
    return view;
  }

  @Get(':ns')
  show(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Query('resource_type') resourceType?: string) {
    return this.namespaces.show(ctx, ns, typeof resourceType === 'string' ? resourceType : undefined);
  }

  @Put(':ns')
  update(@Ctx() ctx: RequestContext, @Param('ns') ns: string, @Body() body: unknown) {
    return this.namespaces.update(ctx, ns, body);
  }

  @Delete(':ns')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('ns') ns: string): Promise<void> {
    await this.namespaces.delete(ctx, ns);
  }
}
