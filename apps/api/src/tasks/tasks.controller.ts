import { All, Controller, Get, Param, Query } from '@nestjs/common';
import { GlimpseError, Policy, invalid, notFound, type RequestContext } from '@glimpse/domain';
import { TaskRepository } from '@glimpse/persistence';
import { Ctx } from '../auth/ctx.decorator.js';
import { enforce, ownProject } from '../policy/enforce.js';
import { ImageAccess } from '../images/image-access.service.js';
import { parseTaskListQuery } from './task-list-query.js';
import { imageTaskView, taskStubView, taskView } from './task-view.js';


@Controller('v2/tasks')
export class TasksController {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly policy: Policy,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Query() query: Record<string, unknown>) {
    enforce(this.policy, ctx, 'tasks_api_access', ownProject(ctx));
    enforce(this.policy, ctx, 'get_tasks', ownProject(ctx));
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
    enforce(this.policy, ctx, 'tasks_api_access', ownProject(ctx));
    enforce(this.policy, ctx, 'get_task', ownProject(ctx));
    const task = await this.tasks.findById(id);
    if (!task) throw notFound(`Task with the given ID ${id} could not be found`);
    return taskView(task);
  }

  @All(':id')
  other(): never {
    throw new GlimpseError('method-not-allowed', 'The method is not allowed for this resource.', { Allow: 'GET' });
  }
}

/**
 * GET /v2/images/{id}/tasks: the image's non-expired tasks, for anyone who may see the image, but only the tasks
 * the caller's project owns and ownerless ones (all of them for an admin), as Glance's task visibility rule has
 * it: a public image's import is its owner's business.
 */
@Controller('v2/images')
export class ImageTasksController {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly access: ImageAccess,
  ) {}

  @Get(':id/tasks')
  async list(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.access.visible(ctx, id);
    const owner = ctx.isAdmin ? undefined : ctx.projectId;
    return { tasks: (await this.tasks.forImage(id, owner)).map(imageTaskView) };
  }
}
