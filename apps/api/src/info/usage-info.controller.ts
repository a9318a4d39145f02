import { Controller, Get } from '@nestjs/common';
import type { RequestContext } from '@glimpse/domain';
import { Ctx } from '../auth/ctx.decorator.js';
import { QuotaService } from '../quotas/quota.service.js';

/** /v2/info/usage: the caller's project's quota limits and usage (Glance's unified-limits shape). */
@Controller('v2/info/usage')
export class UsageInfoController {
  constructor(private readonly quotas: QuotaService) {}

  @Get()
  usage(@Ctx() ctx: RequestContext) {
    return this.quotas.report(ctx.projectId);
  }
}
