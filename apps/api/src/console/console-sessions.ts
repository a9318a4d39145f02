import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { type Clock, CLOCK, type RequestContext, unavailable } from '@glimpse/domain';
import { redisOptions } from '@glimpse/queue';

/**
 * A signed-in operator: who they are, the CSRF token of their state-changing calls, when it ends, and (signed in
 * with a token or a password) the token it was granted and when that was last found valid.
 */
export interface ConsoleSession {
  id: string;
  context: RequestContext;
  csrf: string;
  expiresAt: number;
  token?: string;
  checkedAt?: number;
}

/** What Redis holds: the token only sealed under a key derived from the session id. */
type StoredSession = Omit<ConsoleSession, 'id' | 'token'> & { sealed?: string };

/**
 * Console sessions in Redis, so every API replica knows them: the key is a hash of the session id (a key listing
 * shows no usable id) and the record expires with the session. The operator's token is in it only encrypted
 * (AES-256-GCM) under a key derived from the session id, which only the browser's cookie holds: Redis alone never
 * yields a usable token.
 */
@Injectable()
export class ConsoleSessions implements OnModuleDestroy {
  private readonly redis: Redis;
  private readonly prefix: string;
  readonly ttlMs: number;

  constructor(@InjectConfig('redis') redis: ConfigOf<'redis'>, @InjectConfig('queue') queue: ConfigOf<'queue'>, @InjectConfig('console') consoleConfig: ConfigOf<'console'>, @Inject(CLOCK) private readonly clock: Clock) {
    // Fail a call fast while Redis is down (the console answers 503) instead of queueing it.
    this.redis = new Redis({ ...redisOptions(redis.url, 'queue'), maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.prefix = `${queue.prefix}:console-session:`;
    this.ttlMs = consoleConfig.sessionMs;
  }

  async create(context: RequestContext, token?: string): Promise<ConsoleSession> {
    const now = this.clock.now();
    const session: ConsoleSession = { id: newToken(), context, csrf: newToken(), expiresAt: now + this.ttlMs, ...(token ? { token, checkedAt: now } : {}) };
    await this.call(() => this.redis.set(this.key(session.id), this.serialize(session), 'PX', this.ttlMs));
    return session;
  }

  async get(id: string): Promise<ConsoleSession | null> {
    const text = await this.call(() => this.redis.get(this.key(id)));
    if (!text) return null;
    const { sealed, ...stored } = JSON.parse(text) as StoredSession;
    if (stored.expiresAt <= this.clock.now()) return null;
    return { id, ...stored, ...(sealed ? { token: open(id, sealed) } : {}) };
  }

  /** Records a re-check of the session's token (its identity as the check found it); the session's expiry stays. */
  async checked(session: ConsoleSession, context: RequestContext, at = this.clock.now()): Promise<ConsoleSession> {
    const next = { ...session, context, checkedAt: at };
    await this.call(() => this.redis.set(this.key(session.id), this.serialize(next), 'KEEPTTL', 'XX'));
    return next;
  }

  async end(id: string): Promise<void> {
    await this.call(() => this.redis.del(this.key(id)));
  }

  async onModuleDestroy(): Promise<void> {
    this.redis.disconnect();
  }

  private serialize(session: ConsoleSession): string {
    const { id, token: tok, ...rest } = session;
    const stored: StoredSession = tok ? { ...rest, sealed: seal(id, tok) } : rest;
    return JSON.stringify(stored);
  }

  private key(id: string): string {
    return this.prefix + createHash('sha256').update(id).digest('hex');
  }

  private async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch {
      throw unavailable('The console cannot reach Redis, where its sessions live.');
    }
  }
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The key that seals a session's token: derived from the session id (Redis keys hash it another way). */
function sealKey(id: string): Buffer {
  return Buffer.from(hkdfSync('sha256', id, '', 'glimpse console session token', 32));
}

function seal(id: string, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(id), iv);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function open(id: string, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(id), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/** Constant-time comparison of two tokens (false when either is missing). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
