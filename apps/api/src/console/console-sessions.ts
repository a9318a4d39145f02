import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type ResolvedConfig } from '@glimpse/config';
import { type RequestContext, unavailable } from '@glimpse/domain';
import { redisOptions } from '@glimpse/queue';

/** A signed-in operator: who they are, the CSRF token of their state-changing calls, and when it ends. */
export interface ConsoleSession {
  id: string;
  context: RequestContext;
  csrf: string;
  expiresAt: number;
}

/**
 * Console sessions in Redis, so every API replica knows them: the key is a hash of the session id (a key listing
 * shows no usable id), the record expires with the session, and nothing in it is a credential of the API.
 */
@Injectable()
export class ConsoleSessions implements OnModuleDestroy {
  private readonly redis: Redis;
  private readonly prefix: string;
  readonly ttlMs: number;

  constructor(@Inject(APP_CONFIG) config: ResolvedConfig) {
    // Fail a call fast while Redis is down (the console answers 503) instead of queueing it.
    this.redis = new Redis({ ...redisOptions(config.redis.url, 'queue'), maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.prefix = `${config.queue.prefix}:console-session:`;
    this.ttlMs = config.console.sessionMs;
  }

  async create(context: RequestContext): Promise<ConsoleSession> {
    const session: ConsoleSession = { id: token(), context, csrf: token(), expiresAt: Date.now() + this.ttlMs };
    const { id, ...stored } = session;
    await this.call(() => this.redis.set(this.key(id), JSON.stringify(stored), 'PX', this.ttlMs));
    return session;
  }

  async get(id: string): Promise<ConsoleSession | null> {
    const text = await this.call(() => this.redis.get(this.key(id)));
    if (!text) return null;
    const stored = JSON.parse(text) as Omit<ConsoleSession, 'id'>;
    return stored.expiresAt > Date.now() ? { id, ...stored } : null;
  }

  async end(id: string): Promise<void> {
    await this.call(() => this.redis.del(this.key(id)));
  }

  async onModuleDestroy(): Promise<void> {
    this.redis.disconnect();
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

export function token(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two tokens (false when either is missing). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
