import { readFileSync } from 'node:fs';
import type { Request } from 'express';
import { z } from 'zod';
import type { RequestContext } from '@glimpse/domain';
import { GlimpseError } from '@glimpse/domain';
import { type Authenticator, contextFrom } from './authenticator.js';

const tokensFile = z.record(
  z.string().min(8, 'a token must be at least 8 characters'),
  z.object({ project: z.string().min(1), user: z.string().min(1).optional(), roles: z.array(z.string()).default(['member']) }),
);

/** Static bearer tokens from a file, sent as X-Auth-Token like OpenStack clients do. */
export class TokensAuthenticator implements Authenticator {
  private readonly tokens: Map<string, RequestContext>;

  constructor(path: string) {
    const parsed = tokensFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) {
      // A bad key is reported as "Invalid key in record" with the reason one level down.
      const issue = parsed.error.issues[0]! as { path: PropertyKey[]; message: string; issues?: { message: string }[] };
      const where = issue.path.length ? ` at "${issue.path.map(String).join('.')}"` : '';
      throw new Error(`GLIMPSE_TOKENS_FILE ${path}${where}: ${issue.issues?.[0]?.message ?? issue.message}`);
    }
    this.tokens = new Map(
      Object.entries(parsed.data).map(([token, t]) => [token, contextFrom(t.project, t.user ?? null, t.roles)]),
    );
  }

  authenticate(req: Request): Promise<RequestContext> {
    return this.fromToken(req.get('x-auth-token') ?? '');
  }

  async fromToken(token: string): Promise<RequestContext> {
    const context = token ? this.tokens.get(token) : undefined;
    if (!context) {
      throw new GlimpseError('unauthorized', 'This server could not verify that you are authorized to access the document you requested.', {
        'WWW-Authenticate': 'Keystone uri="unset"',
      });
    }
    return context;
  }
}
