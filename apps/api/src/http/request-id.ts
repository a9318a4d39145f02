import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** Every response carries X-Openstack-Request-Id (req-<uuid>), as Glance's responses do. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const id = `req-${randomUUID()}`;
  (req as Request & { id: string }).id = id;
  res.setHeader('X-Openstack-Request-Id', id);
  next();
}
