import type { Request } from 'express';
import type { ConfigOf } from '@glimpse/config';
import type { RequestContext } from '@glimpse/domain';
import { type Authenticator, contextFrom } from './authenticator.js';

/**
 * Trusts the identity headers that Keystone's auth middleware forwards. A request without them acts as the
 * configured default project (Glance's unauthenticated context: no project, admin); one naming a project but
 * no roles acts as a member of that project.
 */
export class NoauthAuthenticator implements Authenticator {
  constructor(private readonly config: ConfigOf<'auth'>) {}

  async authenticate(req: Request): Promise<RequestContext> {
    const project = req.get('x-project-id') ?? req.get('x-tenant-id') ?? null;
    const user = req.get('x-user-id') ?? null;
    const roles = req.get('x-roles');
    if (project === null && user === null && roles === undefined) {
      return contextFrom(this.config.noauthDefaultProject, null, this.config.noauthDefaultRoles);
    }
    // Keystone's middleware always forwards X-Roles; a caller naming a project without roles acts as its member.
    return contextFrom(project, user, roles === undefined ? ['member'] : roles.split(','));
  }
}
