import type { NextFunction, Request, Response } from 'express';
import { invalid } from '@glimpse/domain';

const MESSAGE = 'The request may not contain NUL characters.';
const ENCODED_NUL = /%00/i;

/**
 * Refuses (400) a request whose path, query or `x-image-meta-*` / `x-glance-*` headers carry an encoded NUL
 * (`%00`). No value Glance defines may hold one, and PostgreSQL (the embedded FerretDB's backend) cannot store
 * or even compare one: an id or a tag with a NUL reached the database and answered 500. Raw NULs never get
 * this far: Node refuses them in the request line and in headers.
 */
export function refuseEncodedNul(req: Request, _res: Response, next: NextFunction): void {
  if (ENCODED_NUL.test(req.url)) return next(invalid(MESSAGE));
  for (const [name, value] of Object.entries(req.headers)) {
    if ((name.startsWith('x-image-meta-') || name.startsWith('x-glance-')) && ENCODED_NUL.test(String(value))) return next(invalid(MESSAGE));
  }
  next();
}

/** The JSON body parser's result, checked the same way: no string (key or value) of the document holds a NUL. */
export function refuseNulInBody(req: Request, _res: Response, next: NextFunction): void {
  next(holdsNul(req.body) ? invalid(MESSAGE) : undefined);
}

/** True when a string anywhere in a parsed JSON value (keys included) contains U+0000. */
export function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || holdsNul(v));
  return false;
}
