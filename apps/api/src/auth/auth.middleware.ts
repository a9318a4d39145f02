import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { RequestContext } from '@glimpse/domain';
import { AUTHENTICATOR, type Authenticator } from './authenticator.js';

export type AuthenticatedRequest = Request & { context: RequestContext };

/** Attaches the caller's RequestContext to every /v2 request (or refuses it). */
@Injectable()
export class AuthMiddleware implements NestMiddleware {
  constructor(@Inject(AUTHENTICATOR) private readonly authenticator: Authenticator) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    this.authenticator.authenticate(req).then(
      (context) => {
        (req as AuthenticatedRequest).context = context;
        next();
      },
      (err: unknown) => next(err),
    );
  }
}
