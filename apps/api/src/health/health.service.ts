import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { redisOptions } from '@glimpse/queue';

export type DependencyState = { status: 'up' } | { status: 'down'; error: string };

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: { mongodb: DependencyState; redis: DependencyState };
}

/** Probes MongoDB and Redis with a short timeout; both clients reconnect on their own when a server returns. */
@Injectable()
export class HealthService implements OnModuleDestroy {
  private readonly redis: Redis;

  constructor(
    @InjectConnection() private readonly mongo: Connection,
    @InjectConfig('redis') redis: ConfigOf<'redis'>,
    @InjectConfig('health') private readonly health: ConfigOf<'health'>,
  ) {
    this.redis = new Redis(redisOptions(redis.url, 'probe'));
    this.redis.on('error', () => undefined); // reported through check(), not as unhandled events
  }

  async check(): Promise<HealthReport> {
    const [mongodb, redis] = await Promise.all([
      this.probe(async () => {
        if (!this.mongo.db) throw new Error('not connected');
        await this.mongo.db.admin().ping();
      }),
      this.probe(() => this.redis.ping()),
    ]);
    return { status: mongodb.status === 'up' && redis.status === 'up' ? 'ok' : 'unavailable', checks: { mongodb, redis } };
  }

  private async probe(fn: () => Promise<unknown>): Promise<DependencyState> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.health.timeoutMs} ms`)), this.health.timeoutMs);
    });
    try {
      await Promise.race([fn(), timeout]);
      return { status: 'up' };
    } catch (err) {
      return { status: 'down', error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
