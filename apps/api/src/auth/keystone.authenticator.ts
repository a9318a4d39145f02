import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { KeystoneConfig } from '@glimpse/config';
import { type Clock, GlimpseError, type RequestContext, systemClock } from '@glimpse/domain';
import { type Authenticator, contextFrom, type PasswordCredentials } from './authenticator.js';
import { type IssuedToken, KeystoneClient, type KeystoneToken } from './keystone-client.js';
import { TtlCache } from './ttl-cache.js';

/** The service token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 60_000;
const MAX_CACHED_TOKENS = 10_000;

/**
 * Validates X-Auth-Token against Keystone v3 (as keystonemiddleware does for Glance) and builds the caller's
 * context from the token. Validations are cached for GLIMPSE_KEYSTONE_CACHE_SECONDS at most, never past the
 * token's expiry. A missing, invalid, expired or revoked token is a 401; an unreachable Keystone is a 503.
 * Expiries are judged by the injected clock (`client`: Keystone's API, replaced by a fake in the unit spec).
 */
export class KeystoneAuthenticator implements Authenticator {
  private readonly cache = new TtlCache<RequestContext>(MAX_CACHED_TOKENS);
  private serviceToken: Promise<IssuedToken> | null = null;

  constructor(
    private readonly config: KeystoneConfig,
    private readonly clock: Clock = systemClock,
    private readonly client: Pick<KeystoneClient, 'issueServiceToken' | 'issueUserToken' | 'validate'> = new KeystoneClient(config, clock),
  ) {}

  authenticate(req: Request): Promise<RequestContext> {
    return this.fromToken(req.get('x-auth-token') ?? '');
  }

  async fromToken(raw: string, options: { fresh?: boolean } = {}): Promise<RequestContext> {
    const token = raw.trim();
    if (!token) throw this.unauthorized();
    const key = createHash('sha256').update(token).digest('hex');
    const cached = options.fresh ? undefined : this.cache.get(key, this.clock.now());
    if (cached) return cached;

    let validated: KeystoneToken;
    try {
      validated = await this.validate(token);
    } catch (err) {
      // A token Keystone no longer accepts is not served from the cache to the next request either.
      if (err instanceof GlimpseError && err.kind === 'unauthorized') this.cache.delete(key);
      throw err;
    }
    const context = contextOf(validated);
    const expiresAt = Math.min(this.clock.now() + this.config.cacheMs, Date.parse(validated.expires_at) || 0);
    if (this.config.cacheMs > 0) this.cache.set(key, context, expiresAt);
    return context;
  }

  async fromPassword(credentials: PasswordCredentials): Promise<{ context: RequestContext; token: string }> {
    const token = await this.client.issueUserToken(credentials);
    if (!token) throw this.unauthorized();
    return { context: await this.fromToken(token), token };
  }

  private async validate(token: string): Promise<KeystoneToken> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const service = await this.currentServiceToken();
      const result = await this.client.validate(service.id, token);
      if (result.ok) {
        if ((Date.parse(result.token.expires_at) || 0) <= this.clock.now()) throw this.unauthorized();
        return result.token;
      }
      if (!result.serviceTokenRejected) throw this.unauthorized();
      this.serviceToken = null; // our own token expired or was revoked: get a new one and ask again
    }
    throw new GlimpseError('unavailable', 'Keystone refused the service token.');
  }

  /** One shared request for the service token, renewed ahead of its expiry; a failed request is not kept. */
  private async currentServiceToken(): Promise<IssuedToken> {
    const current = this.serviceToken ?? this.issueServiceToken();
    const issued = await current;
    if (issued.expiresAt - RENEW_BEFORE_MS > this.clock.now()) return issued;
    if (this.serviceToken === current) this.serviceToken = null;
    return this.serviceToken ?? this.issueServiceToken();
  }

  private issueServiceToken(): Promise<IssuedToken> {
    const next = this.client.issueServiceToken();
    this.serviceToken = next;
    next.catch(() => {
      if (this.serviceToken === next) this.serviceToken = null;
    });
    return next;
  }

  private unauthorized(): GlimpseError {
    return new GlimpseError('unauthorized', 'The request you have made requires authentication.', {
      'WWW-Authenticate': `Keystone uri='${this.config.url}'`,
    });
  }
}

/** The request context a validated token grants: project, user, lowercased roles, domain and system scope. */
export function contextOf(token: KeystoneToken): RequestContext {
  const roles = (token.roles ?? []).map((r) => r.name ?? '');
  const base = contextFrom(token.project?.id ?? null, token.user?.id ?? null, roles);
  const systemScope = token.system ? (token.system.all === true ? 'all' : Object.keys(token.system)[0] ?? null) : null;
  return { ...base, domainId: token.project?.domain?.id ?? token.domain?.id ?? null, systemScope };
}
