import type { NextFunction, Request, Response } from 'express';
import { V1_PREFIXES, v2Prefixes } from '../versions/versions-document.js';

/** Glance's version negotiation by media type: `Accept: application/vnd.openstack.images-v1` on an unversioned path. */
const VND_ACCEPT = /^application\/vnd\.openstack\.images-(v\d+(?:\.\d+)?)$/;
/** First path segments that are never an API path (Glance's `/versions`, and our own). */
const UNVERSIONED = new Set(['versions', 'healthz', 'metrics', 'console']);

/**
 * `/v2.1/images`, `/v2.15/images` (`/v2.14`, `/v2.16` with a cache), … all route to the one /v2 API; `/v1.0/…` and `/v1.1/…` to /v1, where the
 * bare `/v1` (or `/v1/`) is the brief image list, as Glance's v1 router maps it. A path with no version and an
 * `Accept: application/vnd.openstack.images-<version>` header is that version's path, as Glance's version
 * negotiation made it (`/images` with `…images-v1` is `/v1/images`); an unknown version gets the versions document.
 */
export function versionPrefix(cache: boolean): (req: Request, res: Response, next: NextFunction) => void {
  const v2 = v2Prefixes(cache);
  return (req, res, next) => route(v2, req, res, next);
}

function route(v2: ReadonlySet<string>, req: Request, _res: Response, next: NextFunction): void {
  const vnd = VND_ACCEPT.exec(req.headers.accept ?? '');
  if (vnd && !/^\/v\d/.test(req.url) && !UNVERSIONED.has(/^\/([^/?]*)/.exec(req.url)?.[1] ?? '')) req.url = `/${vnd[1]}${req.url}`;
  const match = /^\/(v[12]\.\d+)(\/.*)?$/.exec(req.url);
  if (match && v2.has(match[1]!)) req.url = `/v2${match[2] ?? ''}`;
  else if (match && V1_PREFIXES.has(match[1]!)) req.url = `/v1${match[2] ?? ''}`;
  const bare = /^\/v1\/?(\?.*)?$/.exec(req.url);
  if (bare) req.url = `/v1/images${bare[1] ?? ''}`;
  next();
}
