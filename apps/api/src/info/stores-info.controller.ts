import { Controller, Get } from '@nestjs/common';
import { forbidden, type RequestContext } from '@glimpse/domain';
import { type Store, StoreRegistry } from '@glimpse/storage';
import { Ctx } from '../auth/ctx.decorator.js';

/** /v2/info/stores and its admin (or service) detail. */
@Controller('v2/info/stores')
export class StoresInfoController {
  constructor(private readonly stores: StoreRegistry) {}

  @Get()
  list() {
    return { stores: this.visible().map((s) => this.summary(s)) };
  }

  @Get('detail')
  detail(@Ctx() ctx: RequestContext) {
    if (!ctx.isAdmin && !ctx.roles.includes('service')) {
      throw forbidden('You are not authorized to complete stores_info_detail action.');
    }
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
