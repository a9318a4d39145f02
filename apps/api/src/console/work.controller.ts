import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Task, TaskStatus } from '@glimpse/domain';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';
import type { ConsoleRequest } from './console-guard.js';
import { consolePage, sendPage } from './console-page.js';
import { html } from './html.js';

/** How many ended imports the page shows: the newest failures and successes. */
const ENDED_SHOWN = 20;

export interface WorkItem {
  id: string;
  image_id: string | null;
  image_name: string | null;
  image_status: string | null;
  method: string;
  status: TaskStatus;
  bytes_done: number;
  bytes_total: number | null;
  message: string;
  created_at: string;
  updated_at: string;
}

/** The import method a task runs (web-download, glance-direct, copy-image), or its type for location imports. */
function methodOf(task: Task): string {
  const name = (task.input as { import_req?: { method?: { name?: unknown } } } | null)?.import_req?.method?.name;
  return typeof name === 'string' ? name : task.type;
}

/** /console/work: imports and copies running now (progress from their tasks), and the ones that ended. */
@Controller('console')
export class WorkController {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly images: ImageRepository,
  ) {}

  @Get('work')
  page(@Req() req: ConsoleRequest, @Res() res: Response): void {
    sendPage(res, 200, consolePage({
      title: 'Live work',
      session: req.consoleSession,
      active: '/console/work',
      scripts: ['work.js'],
      body: html`<h1>Live work</h1>
        <p id="live-status" class="muted" role="status" aria-live="polite">Loading…</p>
        <noscript><p class="notice">This page updates itself with JavaScript, which is off: the lists below stay empty.</p></noscript>
        <section aria-labelledby="running-h"><h2 id="running-h">Running imports and copies</h2><div id="running"></div></section>
        <section aria-labelledby="failed-h"><h2 id="failed-h">Failed</h2><div id="failed"></div></section>
        <section aria-labelledby="done-h"><h2 id="done-h">Finished</h2><div id="done"></div></section>`,
    }));
  }

  /** What the page polls (every second): running tasks with their bytes, then the newest ended ones. */
  @Get('api/work')
  async work(): Promise<{ running: WorkItem[]; failed: WorkItem[]; done: WorkItem[]; at: string }> {
    const list = (status: TaskStatus, sortKey: 'created_at' | 'updated_at', limit: number) => this.tasks.list({ status, sortKey, sortDir: -1, limit });
    const [processing, pending, failed, done] = await Promise.all([
      list('processing', 'created_at', 200),
      list('pending', 'created_at', 200),
      list('failure', 'updated_at', ENDED_SHOWN),
      list('success', 'updated_at', ENDED_SHOWN),
    ]);
    const all = [...processing, ...pending, ...failed, ...done];
    const images = new Map((await this.images.findByIds([...new Set(all.flatMap((t) => (t.imageId ? [t.imageId] : [])))])).map((i) => [i.id, i]));
    const item = (t: Task): WorkItem => {
      const image = t.imageId ? images.get(t.imageId) : undefined;
      return {
        id: t.id, image_id: t.imageId, image_name: image?.name ?? null, image_status: image?.status ?? null, method: methodOf(t), status: t.status,
        bytes_done: t.bytesDone, bytes_total: t.bytesTotal, message: t.message, created_at: t.createdAt.toISOString(), updated_at: t.updatedAt.toISOString(),
      };
    };
    return { running: [...processing, ...pending].map(item), failed: failed.map(item), done: done.map(item), at: new Date().toISOString() };
  }
}
