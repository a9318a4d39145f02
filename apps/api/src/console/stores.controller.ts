import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type ConfigOf, InjectConfig, limitsOf } from '@glimpse/config';
import { ImageUsage } from '@glimpse/persistence';
import type { ConsoleRequest } from './console-guard.js';
import { consolePage, sendPage } from './console-page.js';
import { bytes } from './format.js';
import { html } from './html.js';

const MiB = 1024 * 1024;
const limit = (n: number, unit: (v: number) => string) => (n < 0 ? 'unlimited' : unit(n));

/** /console/stores: copies and bytes per store, images and bytes per project against its quota, from the records. */
@Controller('console/stores')
export class StoresController {
  constructor(
    private readonly usage: ImageUsage,
    @InjectConfig('storage') private readonly storage: ConfigOf<'storage'>,
    @InjectConfig('quotas') private readonly quotas: ConfigOf<'quotas'>,
  ) {}

  @Get()
  async page(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const { stores, owners } = await this.usage.summary();
    const configured = this.storage.stores;
    const rows = [...configured.map((s) => s.id), ...stores.map((s) => s.store).filter((id) => !configured.some((c) => c.id === id))];
    sendPage(res, 200, consolePage({
      title: 'Stores and quotas',
      session: req.consoleSession,
      active: '/console/stores',
      body: html`<h1>Stores and quotas</h1>
      <section aria-labelledby="stores-h"><h2 id="stores-h">Stores</h2>
      <table aria-labelledby="stores-h"><thead><tr><th scope="col">Store</th><th scope="col">Type</th><th scope="col" class="num">Copies</th><th scope="col" class="num">Bad copies</th><th scope="col" class="num">Bytes</th></tr></thead><tbody>
      ${rows.map((id) => {
        const c = configured.find((s) => s.id === id);
        const u = stores.find((s) => s.store === id) ?? { copies: 0, bad: 0, bytes: 0 };
        return html`<tr data-store="${id}"><td>${id}${id === this.storage.defaultStore ? ' (default)' : ''}</td><td>${c?.type ?? 'not configured'}</td><td class="num">${u.copies}</td><td class="num">${u.bad}</td><td class="num">${bytes(u.bytes)}</td></tr>`;
      })}</tbody></table></section>
      <section aria-labelledby="projects-h"><h2 id="projects-h">Projects</h2>
      <p class="muted">Images not deleted or killed; bytes in stores count each image once per copy, as the image_size_total quota does.</p>
      <table aria-labelledby="projects-h"><thead><tr><th scope="col">Project</th><th scope="col" class="num">Images</th><th scope="col" class="num">Image limit</th><th scope="col" class="num">Bytes in stores</th><th scope="col" class="num">Size limit</th></tr></thead><tbody>
      ${owners.length === 0 ? html`<tr><td colspan="5" class="muted">No images.</td></tr>` : owners.map((o) => {
        const l = limitsOf(this.quotas, o.owner);
        return html`<tr data-project="${o.owner ?? ''}"><td class="mono">${o.owner ?? '(no project)'}</td><td class="num">${o.images}</td><td class="num">${limit(l.image_count_total, String)}</td><td class="num">${bytes(o.storedBytes)}</td><td class="num">${limit(l.image_size_total, (m) => bytes(m * MiB))}</td></tr>`;
      })}</tbody></table></section>`,
    }));
  }
}
