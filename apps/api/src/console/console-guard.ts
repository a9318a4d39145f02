import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { GlimpseError, Policy, type RequestContext } from '@glimpse/domain';
import { AUTHENTICATOR, type Authenticator } from '../auth/authenticator.js';
import type { AuthenticatedRequest } from '../auth/auth.middleware.js';
import { clearSessionCookies, readCookie, SESSION_COOKIE, setSessionCookies } from './console-cookies.js';
import { messagePage, SESSION_ENDED, sendPage } from './console-page.js';
import { type ConsoleSession, ConsoleSessions, sameToken } from './console-sessions.js';
import { SessionRecheck } from './session-recheck.js';

export type ConsoleRequest = AuthenticatedRequest & { consoleSession: ConsoleSession };

/** Paths under /console anyone may load: the sign-in form, the session-ended page, styles and scripts. */
const OPEN = /^\/(sign-in|session-ended|assets\/[A-Za-z0-9._-]+)$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The console's rule, checked at sign-in and on every request: admins only under the default policies. */
export const CONSOLE_RULE = 'use_console';

export function mayUseConsole(policy: Policy, ctx: RequestContext): boolean {
  return policy.allows(ctx, CONSOLE_RULE, { project_id: ctx.projectId });
}

/**
 * Runs in front of every /console path (pages, JSON, Bull Board): finds the caller's session, or (noauth mode)
 * makes one for the identity the request carries; refuses a state-changing call whose CSRF token (header
 * X-CSRF-Token or X-XSRF-TOKEN, or form field _csrf) is not the session's.
 */
@Injectable()
export class ConsoleGuard {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly recheck: SessionRecheck,
    private readonly policy: Policy,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
    @InjectConfig('auth') private readonly auth: ConfigOf<'auth'>,
  ) {}

  readonly handle = (req: Request, res: Response, next: NextFunction): void => {
    this.check(req, res).then(
      (session) => {
        if (session === undefined) return; // answered here
        if (session) {
          (req as ConsoleRequest).context = session.context;
          (req as ConsoleRequest).consoleSession = session;
        }
        next();
      },
      (err: unknown) => {
        const down = err instanceof GlimpseError && err.kind === 'unavailable';
        refuse(req, res, down ? 503 : 500, 'The console is unavailable', down ? err.message : 'The console failed to read its session.', false);
      },
    );
  };

  /** The session to go on with (null: an open path without one), or undefined when the request was answered. */
  private async check(req: Request, res: Response): Promise<ConsoleSession | null | undefined> {
    const id = readCookie(req, SESSION_COOKIE);
    let session = id ? await this.sessions.get(id) : null;
    if (OPEN.test(req.path)) return session;
    if (!session && this.auth.mode === 'noauth') {
      // noauth: the request's identity headers (or the configured default identity) sign in by themselves.
      const context = await this.authenticator.authenticate(req);
      if (!mayUseConsole(this.policy, context)) {
        refuse(req, res, 403, 'Not allowed', 'The console is for administrators: this identity may not use it.', false);
        return undefined;
      }
      session = await this.sessions.create(context);
      setSessionCookies(req, res, session);
    }
    if (session?.token) {
      // The token it was granted is checked again every GLIMPSE_CONSOLE_RECHECK_SECONDS: revoked, it ends the session.
      const current = await this.recheck.current(session);
      if (!current) {
        await this.sessions.end(session.id);
        clearSessionCookies(req, res);
        refuse(req, res, 401, SESSION_ENDED.title, SESSION_ENDED.revoked);
        return undefined;
      }
      session = current;
    }
    if (!session) {
      if (id) refuse(req, res, 401, SESSION_ENDED.title, SESSION_ENDED.message);
      else if (SAFE_METHODS.has(req.method) && wantsHtml(req)) res.redirect(303, '/console/sign-in');
      else refuse(req, res, 401, 'Sign in first', 'Sign in to use the console.');
      return undefined;
    }
    if (!mayUseConsole(this.policy, session.context)) {
      refuse(req, res, 403, 'Not allowed', 'The console is for administrators: this identity may not use it.', false);
      return undefined;
    }
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.get('x-csrf-token') ?? req.get('x-xsrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
      if (!sameToken(typeof sent === 'string' ? sent : undefined, session.csrf)) {
        refuse(req, res, 403, 'Request refused', 'This request did not carry the console’s CSRF token, so it was refused. Reload the page and try again.', false);
        return undefined;
      }
    }
    return session;
  }
}

function wantsHtml(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'html';
}

/** An HTML page for a browser, the Glance error shape for a script. */
export function refuse(req: Request, res: Response, status: number, title: string, message: string, signIn = true): void {
  if (wantsHtml(req)) sendPage(res, status, messagePage(title, message, signIn));
  else res.status(status).set('Cache-Control', 'no-store').json({ message, code: status, title });
}
