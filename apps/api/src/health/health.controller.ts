import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type HealthReport, HealthService } from './health.service.js';

@Controller('healthz')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** 200 when MongoDB and Redis both answer; 503 naming the ones that do not. */
  @Get()
  async healthz(@Res({ passthrough: true }) res: Response): Promise<HealthReport & { message?: string }> {
    const report = await this.health.check();
    if (report.status === 'ok') return report;
    res.status(503);
    const down = Object.entries(report.checks).filter(([, s]) => s.status === 'down').map(([name]) => name);
    return { ...report, message: `${down.join(' and ')} unavailable` };
  }
}
