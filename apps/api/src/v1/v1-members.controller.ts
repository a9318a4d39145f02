import { All, Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import type { RequestContext } from '@glimpse/domain';
import { Ctx } from '../auth/ctx.decorator.js';
import { V1MembersService } from './v1-members.service.js';

/** v1's /images/{id}/members and /shared-images/{tenant}. */
@Controller('v1')
export class V1MembersController {
  constructor(private readonly members: V1MembersService) {}

  @Get('images/:id/members')
  async list(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return { members: (await this.members.list(ctx, id)).map((m) => ({ member_id: m.memberId, can_share: m.canShare })) };
  }

  @Put('images/:id/members')
  @HttpCode(204)
  async replace(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown): Promise<void> {
    await this.members.replace(ctx, id, body);
  }

  @Put('images/:id/members/:member')
  @HttpCode(204)
  async put(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('member') member: string, @Body() body: unknown): Promise<void> {
    await this.members.put(ctx, id, member, body);
  }

  @Delete('images/:id/members/:member')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('member') member: string): Promise<void> {
    await this.members.remove(ctx, id, member);
  }

  /** Any method, as v1's route answered. */
  @All('shared-images/:tenant')
  async shared(@Ctx() ctx: RequestContext, @Param('tenant') tenant: string) {
    return { shared_images: (await this.members.sharedWith(ctx, tenant)).map((m) => ({ image_id: m.imageId, can_share: m.canShare })) };
  }
}
