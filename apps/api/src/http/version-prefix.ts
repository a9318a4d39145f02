import type { NextFunction, Request, Response } from 'express';
import { V1_PREFIXES, v2Prefixes } from '../versions/versions-document.js';

/**
 * `/v2.1/images`, `/v2.15/images` (`/v2.14`, `/v2.16` with a cache), … all route to the one /v2 API; `/v1.0/…` and `/v1.1/…` to /v1, where the
 * bare `/v1` (or `/v1/`) is the brief image list, as Glance's v1 router maps it.
 */
export function versionPrefix(cache: boolean): (req: Request, res: Response, next: NextFunction) => void {
  const v2 = v2Prefixes(cache);
  return (req, res, next) => route(v2, req, res, next);
}

function route(v2: ReadonlySet<string>, req: Request, _res: Response, next: NextFunction): void {
  const match = /^\/(v[12]\.\d+)(\/.*)?$/.exec(req.url);
  if (match && v2.has(match[1]!)) req.url = `/v2${match[2] ?? ''}`;
  else if (match && V1_PREFIXES.has(match[1]!)) req.url = `/v1${match[2] ?? ''}`;
  const bare = /^\/v1\/?(\?.*)?$/.exec(req.url);
  if (bare) req.url = `/v1/images${bare[1] ?? ''}`;
  next();
}
