import type { Response } from 'express';
import type { RequestContext } from '@glimpse/domain';
import { html, type Html } from './html.js';

export const NAV = [
  { path: '/console', label: 'Overview' },
  { path: '/console/images', label: 'Images' },
  { path: '/console/work', label: 'Live work' },
  { path: '/console/queues/', label: 'Queues' },
  { path: '/console/maintenance', label: 'Maintenance' },
  { path: '/console/stores', label: 'Stores and quotas' },
] as const;

export interface PageOptions {
  title: string;
  body: Html;
  /** The signed-in operator (no header navigation on the sign-in and session pages). */
  session?: { context: RequestContext; csrf: string };
  active?: string;
  /** Modules under /console/assets the page loads. */
  scripts?: string[];
}

/** The frame every console page shares: skip link, navigation, who is signed in, sign-out. */
export function consolePage(o: PageOptions): string {
  const who = o.session
    ? html`<div class="who"><span>${o.session.context.userId ?? 'operator'} · project ${o.session.context.projectId ?? '(none)'} · ${o.session.context.roles.join(', ')}</span>
        <form method="post" action="/console/sign-out"><input type="hidden" name="_csrf" value="${o.session.csrf}"><button type="submit">Sign out</button></form></div>`
    : '';
  const nav = o.session
    ? html`<nav aria-label="Console"><ul>${NAV.map((n) => html`<li><a href="${n.path}"${n.path === o.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${o.session ? html`<meta name="csrf-token" content="${o.session.csrf}">` : ''}
<title>${o.title} · Glimpse console</title><link rel="stylesheet" href="/console/assets/console.css">
${(o.scripts ?? []).map((s) => html`<script type="module" src="/console/assets/${s}"></script>`)}
</head><body><a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/console">Glimpse console</a>${nav}${who}</header>
<main id="main" tabindex="-1">${o.body}</main></body></html>`.text;
}

/** Sends a console page with headers that keep it out of caches and frames and allow only its own scripts. */
export function sendPage(res: Response, status: number, page: string): void {
  setPageHeaders(res);
  res.status(status).type('html').send(page);
}

export function setPageHeaders(res: Response): void {
  res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  });
}

/** What the console says when a session has ended, and when it ended because its token is no longer valid. */
export const SESSION_ENDED = {
  title: 'Your session has ended',
  message: 'Your console session has ended (it expired, you signed out, or its sign-in was revoked). Sign in again to continue.',
  revoked: 'Your console session has ended: the token it was signed in with is no longer valid (revoked or expired). Sign in again to continue.',
};

/** A page with one message (refusals, the end of a session), optionally with a way back to sign in. */
export function messagePage(title: string, message: string, signInLink = true): string {
  return consolePage({
    title,
    body: html`<div class="card" role="alert"><h1>${title}</h1><p>${message}</p>${signInLink ? html`<p><a class="button" href="/console/sign-in">Sign in</a></p>` : ''}</div>`,
  });
}
