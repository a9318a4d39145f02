import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Policy } from '@glimpse/domain';
import { ImageCache } from '@glimpse/image-cache';
import { AuditFindingRepository, MaintenanceRunRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { launchMaintenance, runnable } from '../admin/sweep-launcher.js';
import { enforce, ownProject } from '../policy/enforce.js';
import type { ConsoleRequest } from './console-guard.js';
import { consolePage, sendPage, setPageHeaders } from './console-page.js';
import { maintenanceLive, maintenancePage } from './maintenance-page.js';

const RUNS_READ = 200;
const FINDINGS_READ = 500;

/** /console/maintenance: the sweeps' runs (charts and a table), the auditor's findings and orphans, run-now buttons. */
@Controller('console/maintenance')
export class ConsoleMaintenanceController {
  constructor(
    private readonly runs: MaintenanceRunRepository,
    private readonly findings: AuditFindingRepository,
    private readonly producer: JobProducer,
    private readonly policy: Policy,
    private readonly cache: ImageCache,
  ) {}

  @Get()
  async page(@Req() req: ConsoleRequest, @Res() res: Response, @Query('started') started?: string): Promise<void> {
    enforce(this.policy, req.context, 'run_maintenance', ownProject(req.context));
    sendPage(res, 200, consolePage({
      title: 'Maintenance',
      session: req.consoleSession,
      active: '/console/maintenance',
      scripts: ['maintenance.js'],
      body: maintenancePage(runnable(this.cache), req.consoleSession.csrf, typeof started === 'string' ? started : null, await this.live()),
    }));
  }

  /** The refreshed part of the page, as HTML (its script swaps it in every few seconds). */
  @Get('live')
  async fragment(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    enforce(this.policy, req.context, 'run_maintenance', ownProject(req.context));
    setPageHeaders(res);
    res.type('html').send((await this.live()).text);
  }

  /** The guard has checked the CSRF token; the policy's run_maintenance rule decides, as for the admin API. */
  @Post('run')
  async run(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    enforce(this.policy, req.context, 'run_maintenance', ownProject(req.context));
    const name = (req.body as Record<string, unknown> | undefined)?.sweep;
    const id = await launchMaintenance(this.producer, this.cache, typeof name === 'string' ? name : String(name));
    res.redirect(303, `/console/maintenance?started=${encodeURIComponent(id)}`);
  }

  private async live() {
    const [runs, findings] = await Promise.all([this.runs.list(undefined, RUNS_READ), this.findings.list(FINDINGS_READ)]);
    return maintenanceLive(runnable(this.cache), runs, findings);
  }
}
