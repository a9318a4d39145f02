import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { ConsoleRequest } from './console-guard.js';
import { consolePage, NAV, sendPage } from './console-page.js';
import { html } from './html.js';

/** /console: where the operator lands after sign-in. */
@Controller('console')
export class OverviewController {
  @Get()
  overview(@Req() req: ConsoleRequest, @Res() res: Response): void {
    const s = req.consoleSession;
    const left = Math.max(0, Math.round((s.expiresAt - Date.now()) / 60_000));
    sendPage(res, 200, consolePage({
      title: 'Overview',
      session: s,
      active: '/console',
      body: html`<h1>Overview</h1>
        <p>Signed in as <strong>${s.context.userId ?? 'operator'}</strong> (project ${s.context.projectId ?? '(none)'}, roles ${s.context.roles.join(', ')}). The session ends in about ${left} minutes.</p>
        <ul>${NAV.slice(1).map((n) => html`<li><a href="${n.path}">${n.label}</a></li>`)}</ul>`,
    }));
  }
}
