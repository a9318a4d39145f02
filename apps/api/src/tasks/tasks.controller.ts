import { All, Controller, Get, Param, Query } from '@nestjs/common';
import { forbidden, GlimpseError, invalid, notFound, type RequestContext } from '@glimpse/domain';
import { TaskRepository } from '@glimpse/persistence';
import { Ctx } from '../auth/ctx.decorator.js';
import { ImageAccess } from '../images/image-access.service.js';
import { parseTaskListQuery } from './task-list-query.js';
import { imageTaskView, taskStubView, taskView } from './task-view.js';

/** Glance's legacy tasks API: admin-only by default (tasks_api_access). */
function assertTasksAccess(ctx: RequestContext): void {
  if (!ctx.isAdmin) throw forbidden('You are not authorized to complete tasks_api_access action.');
}

@Controller('v2/tasks')
export class TasksController {
  constructor(private readonly tasks: TaskRepository) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Query() query: Record<string, unknown>) {
    assertTasksAccess(ctx);
    const q = parseTaskListQuery(query);
    const marker = q.markerId ? await this.tasks.findById(q.markerId) : undefined;
    if (q.markerId && !marker) throw invalid(`Invalid marker. Task ${q.markerId} could not be found.`);
    const page = await this.tasks.list({ ...q, marker: marker ?? undefined });
    const params = new URLSearchParams(
      Object.entries(query)
        .filter(([k]) => k !== 'marker')
        .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x): [string, string] => [k, String(x)])),
    );
    const first = `/v2/tasks${params.size ? `?${params}` : ''}`;
    const body: Record<string, unknown> = { tasks: page.map(taskStubView), first, schema: '/v2/schemas/tasks' };
    if (page.length === q.limit && page.length > 0) {
      params.set('marker', page[page.length - 1]!.id);
      body.next = `/v2/tasks?${params}`;
    }
    return body;
  }

  @Get(':id')
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    assertTasksAccess(ctx);
    const task = await this.tasks.findById(id);
    if (!task) throw notFound(`Task with the given ID ${id} could not be found`);
    return taskView(task);
  }

  @All(':id')
  other(): never {
    throw new GlimpseError('method-not-allowed', 'The method is not allowed for this resource.', { Allow: 'GET' });
  }
}

/** GET /v2/images/{id}/tasks: the image's non-expired tasks, for anyone who may see the image. */
@Controller('v2/images')
export class ImageTasksController {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly access: ImageAccess,
  ) {}

  @Get(':id/tasks')
  async list(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.access.visible(ctx, id);
    return { tasks: (await this.tasks.forImage(id)).map(imageTaskView) };
  }
}
