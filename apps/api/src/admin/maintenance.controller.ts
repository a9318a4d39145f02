import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { invalid, notFound, Policy, type RequestContext } from '@glimpse/domain';
import { ImageCache } from '@glimpse/image-cache';
import { AuditFindingRepository, MaintenanceRunRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { Ctx } from '../auth/ctx.decorator.js';
import { enforce, ownProject } from '../policy/enforce.js';
import { cacheJobOf, launchMaintenance, sweepOf } from './sweep-launcher.js';

/**
 * Operators run a maintenance sweep on demand and read what the runs did (Glimpse's own API, admin only). A cache
 * job (cache-prefetcher, cache-pruner, cache-cleaner) is run by the API node that takes the call.
 */
@Controller('v2/admin/maintenance')
export class MaintenanceController {
  constructor(
    private readonly producer: JobProducer,
    private readonly runs: MaintenanceRunRepository,
    private readonly findings: AuditFindingRepository,
    private readonly policy: Policy,
    private readonly cache: ImageCache,
  ) {}

  /** What the auditor found: copies missing, of the wrong size or with the wrong checksums (newest first). */
  @Get('findings')
  async listFindings(@Ctx() ctx: RequestContext) {
    enforce(this.policy, ctx, 'run_maintenance', ownProject(ctx));
    const findings = await this.findings.list(1000);
    return { findings: findings.map((f) => ({ image_id: f.imageId, store: f.store, problem: f.problem, found_at: f.foundAt.toISOString() })) };
  }

  @Post(':sweep')
  @HttpCode(202)
  async run(@Ctx() ctx: RequestContext, @Param('sweep') sweep: string) {
    enforce(this.policy, ctx, 'run_maintenance', ownProject(ctx));
    const id = await launchMaintenance(this.producer, this.cache, sweep);
    return { sweep, job_id: id, run: `/v2/admin/maintenance/runs/${id}`, ...(cacheJobOf(sweep) ? { node: this.cache.node } : {}) };
  }

  @Get('runs')
  async list(@Ctx() ctx: RequestContext, @Query('sweep') sweep?: string, @Query('limit') limit?: string) {
    enforce(this.policy, ctx, 'run_maintenance', ownProject(ctx));
    // The API nodes' cache jobs (cache-prefetcher, cache-pruner, cache-cleaner) are listed by their own names.
    const job = sweep === undefined ? undefined : (sweepOf(sweep) ?? cacheJobOf(sweep));
    if (sweep !== undefined && !job) throw invalid(`Unknown sweep ${sweep}.`);
    const n = limit === undefined ? 25 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw invalid('limit must be an integer from 1 to 1000.');
    return { runs: (await this.runs.list(job, n)).map(runView) };
  }

  @Get('runs/:id')
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    enforce(this.policy, ctx, 'run_maintenance', ownProject(ctx));
    const run = await this.runs.findById(id);
    if (!run) throw notFound(`No maintenance run ${id}.`);
    return runView(run);
  }
}

function runView(run: Awaited<ReturnType<MaintenanceRunRepository['list']>>[number]) {
  return {
    id: run.id,
    sweep: run.job.replace(/-sweep$/, ''),
    trigger: run.trigger,
    status: run.status,
    tick: run.tick.toISOString(),
    worker: run.worker,
    attempts: run.attempts,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
    duration_ms: run.durationMs,
    counts: run.counts,
    error: run.error,
  };
}
