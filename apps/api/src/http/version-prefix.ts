import type { NextFunction, Request, Response } from 'express';
import { VERSION_PREFIXES } from '../versions/versions-document.js';

/** `/v2.1/images`, `/v2.15/images`, … all route to the one /v2 API. */
export function versionPrefix(req: Request, _res: Response, next: NextFunction): void {
  const match = /^\/(v2\.\d+)(\/.*)?$/.exec(req.url);
  if (match && VERSION_PREFIXES.has(match[1]!)) req.url = `/v2${match[2] ?? ''}`;
  next();
}
