import { Controller, Get } from '@nestjs/common';
import { Policy, type RequestContext } from '@glimpse/domain';
import { type Store, StoreRegistry } from '@glimpse/storage';
import { Ctx } from '../auth/ctx.decorator.js';
import { enforce, ownProject } from '../policy/enforce.js';

/** /v2/info/stores and its admin (or service) detail. */
@Controller('v2/info/stores')
export class StoresInfoController {
  constructor(
    private readonly stores: StoreRegistry,
    private readonly policy: Policy,
  ) {}

  @Get()
  list() {
    return { stores: this.visible().map((s) => this.summary(s)) };
  }

  @Get('detail')
  detail(@Ctx() ctx: RequestContext) {
    enforce(this.policy, ctx, 'stores_info_detail', ownProject(ctx));
    return {
      stores: this.visible().map((s) => ({ ...this.summary(s), type: s.type, weight: s.weight, properties: s.properties() })),
    };
  }

  /** Every configured store: Glimpse always runs in Glance's multi-store mode (GLIMPSE_STORES). */
  private visible(): readonly Store[] {
    return this.stores.stores;
  }

  private summary(store: Store): Record<string, string> {
    const out: Record<string, string> = { id: store.id };
    if (store.description) out.description = store.description;
    if (store.id === this.stores.defaultId) out.default = 'true';
    if (store.readOnly) out['read-only'] = 'true';
    return out;
  }
}
