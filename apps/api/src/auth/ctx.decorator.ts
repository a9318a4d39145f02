import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestContext } from '@glimpse/domain';
import type { AuthenticatedRequest } from './auth.middleware.js';

/** The caller's identity, as the auth middleware built it. */
export const Ctx = createParamDecorator(
  (_: unknown, host: ExecutionContext): RequestContext => host.switchToHttp().getRequest<AuthenticatedRequest>().context,
);
