import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import type { ImageMember, RequestContext } from '@glimpse/domain';
import { Ctx } from '../../auth/ctx.decorator.js';
import { isoSeconds } from '../image-view.js';
import { MembersService } from './members.service.js';

function memberView(m: ImageMember): Record<string, unknown> {
  return {
    member_id: m.memberId,
    image_id: m.imageId,
    status: m.status,
    created_at: isoSeconds(m.createdAt),
    updated_at: isoSeconds(m.updatedAt),
    schema: '/v2/schemas/member',
  };
}

/** /v2/images/{id}/members: sharing an image with other projects. */
@Controller('v2/images/:id/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Post()
  @HttpCode(200)
  async add(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown) {
    return memberView(await this.members.add(ctx, id, body));
  }

  @Get()
  async list(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return { members: (await this.members.list(ctx, id)).map(memberView), schema: '/v2/schemas/members' };
  }

  @Get(':member')
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('member') member: string) {
    return memberView(await this.members.show(ctx, id, member));
  }

  @Put(':member')
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('member') member: string, @Body() body: unknown) {
    return memberView(await this.members.update(ctx, id, member, body));
  }

  @Delete(':member')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('member') member: string): Promise<void> {
    await this.members.remove(ctx, id, member);
  }
}
