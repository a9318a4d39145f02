import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { GlimpseError, Policy, type RequestContext } from '@glimpse/domain';
import { AUTHENTICATOR, type Authenticator } from '../auth/authenticator.js';
import { clearCookie, clearSessionCookies, readCookie, setCookie, setSessionCookies, SIGNIN_COOKIE } from './console-cookies.js';
import { type ConsoleRequest, mayUseConsole } from './console-guard.js';
import { messagePage, SESSION_ENDED, sendPage } from './console-page.js';
import { ConsoleSessions, newToken, sameToken } from './console-sessions.js';
import { signInPage } from './sign-in-page.js';

const FORM_LIFETIME_MS = 15 * 60_000;
const field = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
};

/** Sign-in (a token, or Keystone credentials, exchanged for a session), sign-out and the session-ended page. */
@Controller('console')
export class SignInController {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly policy: Policy,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
    @InjectConfig('auth') private readonly auth: ConfigOf<'auth'>,
  ) {}

  @Get('sign-in')
  form(@Req() req: Request, @Res() res: Response): void {
    const mode = this.auth.mode;
    if (mode === 'noauth' || (req as Partial<ConsoleRequest>).consoleSession) return res.redirect(303, '/console');
    this.sendForm(req, res, 200);
  }

  @Post('sign-in')
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    const mode = this.auth.mode;
    if (mode === 'noauth') return res.redirect(303, '/console');
    if (!sameToken(field(req.body, '_csrf'), readCookie(req, SIGNIN_COOKIE))) {
      return this.sendForm(req, res, 403, 'The sign-in form had expired or did not come from this console. Try again.');
    }
    let context: RequestContext;
    let tok = field(req.body, 'token');
    try {
      const username = field(req.body, 'username');
      if (tok) context = await this.authenticator.fromToken!(tok);
      else if (mode === 'keystone' && username && this.authenticator.fromPassword) {
        ({ context, token: tok } = await this.authenticator.fromPassword({
          username,
          password: field(req.body, 'password'),
          projectName: field(req.body, 'project'),
          domainName: field(req.body, 'domain') || 'Default',
        }));
      } else return this.sendForm(req, res, 400, mode === 'keystone' ? 'Enter a token, or a user name, password and project.' : 'Enter a token.');
    } catch (err) {
      if (err instanceof GlimpseError && err.kind === 'unauthorized') return this.sendForm(req, res, 401, 'These credentials were not accepted.');
      if (err instanceof GlimpseError && err.kind === 'unavailable') return this.sendForm(req, res, 503, err.message);
      throw err;
    }
    if (!mayUseConsole(this.policy, context)) {
      return sendPage(res, 403, messagePage('Not allowed', 'The console is for administrators: this identity may not use it.'));
    }
    // The token stays with the session (sealed), so the guard can check it again and end the session once it is revoked.
    const session = await this.sessions.create(context, tok);
    clearCookie(req, res, SIGNIN_COOKIE);
    setSessionCookies(req, res, session);
    res.redirect(303, '/console');
  }

  /** Behind the guard, so it needs the session's CSRF token like every state-changing call. */
  @Post('sign-out')
  async signOut(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    await this.sessions.end(req.consoleSession.id);
    clearSessionCookies(req, res);
    sendPage(res, 200, messagePage('Signed out', 'You have signed out of the console.'));
  }

  @Get('session-ended')
  ended(@Res() res: Response): void {
    sendPage(res, 401, messagePage(SESSION_ENDED.title, SESSION_ENDED.message));
  }

  private sendForm(req: Request, res: Response, status: number, error?: string): void {
    const nonce = newToken();
    setCookie(req, res, SIGNIN_COOKIE, nonce, FORM_LIFETIME_MS);
    sendPage(res, status, signInPage(nonce, this.auth.mode as 'tokens' | 'keystone', error));
  }
}
