import type { Request } from 'express';
import type { RequestContext } from '@glimpse/domain';

/** Builds the caller's identity from a request; throws GlimpseError('unauthorized') to refuse it. */
export interface Authenticator {
  authenticate(req: Request): Promise<RequestContext>;
  /**
   * The identity a token grants (tokens and keystone modes; the console's sign-in exchanges one for a session).
   * `fresh`: ask the identity service itself, not a validation cached from an earlier request (the console's
   * re-check of a session's token).
   */
  fromToken?(token: string, options?: { fresh?: boolean }): Promise<RequestContext>;
  /** keystone mode: the token a user's password gets in a project, and the identity it grants. */
  fromPassword?(credentials: PasswordCredentials): Promise<{ context: RequestContext; token: string }>;
}

export interface PasswordCredentials {
  username: string;
  password: string;
  projectName: string;
  /** Domain of both the user and the project. */
  domainName: string;
}

export const AUTHENTICATOR = Symbol('AUTHENTICATOR');

export function contextFrom(projectId: string | null, userId: string | null, roles: string[]): RequestContext {
  const normalized = [...new Set(roles.map((r) => r.trim().toLowerCase()).filter(Boolean))];
  return { projectId, userId, roles: normalized, isAdmin: normalized.includes('admin') };
}
