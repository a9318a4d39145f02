import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { RequestContext } from '@glimpse/domain';
import { Ctx } from '../auth/ctx.decorator.js';
import { LocationsService } from './locations.service.js';

/** /v2/images/{id}/locations (Glance 2.17). */
@Controller('v2/images/:id/locations')
export class LocationsController {
  constructor(private readonly locations: LocationsService) {}

  @Post()
  @HttpCode(202)
  async add(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown): Promise<void> {
    await this.locations.add(ctx, id, body);
  }

  @Get()
  list(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return this.locations.list(ctx, id);
  }
}
