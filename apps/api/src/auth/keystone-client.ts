import type { KeystoneConfig } from '@glimpse/config';
import { type Clock, systemClock, unavailable } from '@glimpse/domain';
import type { PasswordCredentials } from './authenticator.js';

/** The parts of a Keystone v3 token body Glimpse reads. */
export interface KeystoneToken {
  expires_at: string;
  user?: { id?: string; domain?: { id?: string } };
  project?: { id?: string; domain?: { id?: string } };
  domain?: { id?: string };
  system?: Record<string, unknown>;
  roles?: Array<{ name?: string }>;
}

/** An issued token and when it stops being valid. */
export interface IssuedToken {
  id: string;
  expiresAt: number;
}

/** Outcome of validating a caller's token: its body, or why Keystone refused it. */
export type Validation = { ok: true; token: KeystoneToken } | { ok: false; serviceTokenRejected: boolean };

/**
 * Keystone's v3 identity API as the authenticator needs it: issue the service's own token, and validate a
 * caller's token with it. Any failure to get an answer (refused, timed out, 5xx) is a 503, never a pass.
 */
export class KeystoneClient {
  constructor(
    private readonly config: KeystoneConfig,
    private readonly clock: Clock = systemClock,
  ) {}

  async issueServiceToken(): Promise<IssuedToken> {
    const res = await this.call('/v3/auth/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(this.authRequest()) });
    const id = res.headers.get('x-subject-token');
    if (res.status !== 201 || !id) {
      await res.body?.cancel();
      throw unavailable(`Keystone refused the service credentials (HTTP ${res.status}).`);
    }
    const body = (await res.json()) as { token?: KeystoneToken };
    return { id, expiresAt: Date.parse(body.token?.expires_at ?? '') || this.clock.now() };
  }

  /** A user's project-scoped token for their password (the console's sign-in); null when Keystone refuses them. */
  async issueUserToken(c: PasswordCredentials): Promise<string | null> {
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: c.username, password: c.password, domain: { name: c.domainName } } } },
        scope: { project: { name: c.projectName, domain: { name: c.domainName } } },
      },
    };
    const res = await this.call('/v3/auth/tokens?nocatalog', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await res.body?.cancel();
    const id = res.headers.get('x-subject-token');
    if (res.status === 201 && id) return id;
    if (res.status >= 400 && res.status < 500) return null;
    throw unavailable(`Keystone answered HTTP ${res.status} to a sign-in.`);
  }

  /** GET /v3/auth/tokens: 200 → the token; 404 → invalid, expired or revoked; 401/403 → our own token was refused. */
  async validate(serviceToken: string, subjectToken: string): Promise<Validation> {
    const res = await this.call('/v3/auth/tokens', {
      method: 'GET',
      headers: { 'x-auth-token': serviceToken, 'x-subject-token': subjectToken, accept: 'application/json' },
    });
    if (res.status === 200) {
      const body = (await res.json()) as { token?: KeystoneToken };
      if (body.token) return { ok: true, token: body.token };
      throw unavailable('Keystone answered a token validation without a token.');
    }
    await res.body?.cancel();
    if (res.status === 404 || res.status === 400) return { ok: false, serviceTokenRejected: false };
    if (res.status === 401 || res.status === 403) return { ok: false, serviceTokenRejected: true };
    throw unavailable(`Keystone answered HTTP ${res.status} to a token validation.`);
  }

  private async call(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.config.url}${path}`, { ...init, signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch {
      throw unavailable('Keystone service is temporarily unavailable.');
    }
  }

  private authRequest(): unknown {
    const c = this.config.credentials;
    if (c.kind === 'application-credential') {
      return { auth: { identity: { methods: ['application_credential'], application_credential: { id: c.id, secret: c.secret } } } };
    }
    return {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: c.username, password: c.password, domain: { name: c.userDomainName } } },
        },
        scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
      },
    };
  }
}
