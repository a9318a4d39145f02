import type { Request } from 'express';
import type { RequestContext } from '@glimpse/domain';

/** Builds the caller's identity from a request; throws GlimpseError('unauthorized') to refuse it. */
export interface Authenticator {
  authenticate(req: Request): Promise<RequestContext>;
}

export const AUTHENTICATOR = Symbol('AUTHENTICATOR');

export function contextFrom(projectId: string | null, userId: string | null, roles: string[]): RequestContext {
  const normalized = [...new Set(roles.map((r) => r.trim().toLowerCase()).filter(Boolean))];
  return { projectId, userId, roles: normalized, isAdmin: normalized.includes('admin') };
}
