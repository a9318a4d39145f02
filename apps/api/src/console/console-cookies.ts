import type { Request, Response } from 'express';
import type { ConsoleSession } from './console-sessions.js';

/** The session id: HttpOnly, so no script (not even ours) reads it. */
export const SESSION_COOKIE = 'glimpse_console';
/**
 * The session's CSRF token, readable by the console's scripts and by Bull Board's (axios sends it back as
 * X-XSRF-TOKEN on same-origin calls). Knowing it is no use without the session cookie, which SameSite=Strict
 * keeps off every cross-site request.
 */
export const CSRF_COOKIE = 'XSRF-TOKEN';
/** The sign-in form's own token (against sign-in CSRF), set with the form and checked when it is posted. */
export const SIGNIN_COOKIE = 'glimpse_console_signin';

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function setCookie(req: Request, res: Response, name: string, value: string, maxAgeMs: number, httpOnly = true): void {
  res.cookie(name, value, { path: '/console', httpOnly, sameSite: 'strict', secure: req.secure, maxAge: maxAgeMs });
}

export function clearCookie(req: Request, res: Response, name: string, httpOnly = true): void {
  res.clearCookie(name, { path: '/console', httpOnly, sameSite: 'strict', secure: req.secure });
}

export function setSessionCookies(req: Request, res: Response, session: ConsoleSession): void {
  const left = session.expiresAt - Date.now();
  setCookie(req, res, SESSION_COOKIE, session.id, left);
  setCookie(req, res, CSRF_COOKIE, session.csrf, left, false);
}

export function clearSessionCookies(req: Request, res: Response): void {
  clearCookie(req, res, SESSION_COOKIE);
  clearCookie(req, res, CSRF_COOKIE, false);
}
