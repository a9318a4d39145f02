import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { redisOptions } from '@glimpse/queue';

/** How long a slot is held without renewal (a worker killed mid-import frees its slot after this). */
const LEASE_MS = 30_000;

/**
 * Takes a slot: drops expired leases, then (re)leases `holder` if it already holds one or fewer than `limit` are
 * held. Atomic in Redis, so workers on every host share one count.
 */
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`;

/** One held slot: renewed while the import runs, given back when it ends. */
export interface ImportSlot {
  release(): Promise<void>;
}

/**
 * The cap on a project's URL imports (web-download, v1 copy-from) running at once
 * (GLIMPSE_URL_IMPORTS_PER_PROJECT): a sorted set per project in Redis of the task ids holding a slot, each
 * scored by the end of its lease. A job that finds no slot waits in the queue (the processor delays it); a
 * worker that dies holding one loses it when the lease runs out, and the job's retry leases it again.
 */
@Injectable()
export class ProjectImportSlots implements OnModuleDestroy {
  readonly limit: number;
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(@InjectConfig('limits') limits: ConfigOf<'limits'>, @InjectConfig('queue') queue: ConfigOf<'queue'>, @InjectConfig('redis') redis: ConfigOf<'redis'>) {
    this.limit = limits.urlImportsPerProject;
    this.prefix = `${queue.prefix}:url-import-slots:`;
    this.redis = new Redis(redisOptions(redis.url, 'queue'));
    this.redis.on('error', () => undefined); // the worker's own connections report a down Redis
  }

  /** A slot for the task, or null when the project's are all taken (the caller waits and asks again). */
  async take(project: string, taskId: string): Promise<ImportSlot | null> {
    const key = this.prefix + project;
    if (!(await this.lease(key, taskId))) return null;
    const timer = setInterval(() => void this.lease(key, taskId).catch(() => undefined), LEASE_MS / 3);
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await this.redis.zrem(key, taskId).catch(() => undefined); // else its lease runs out
      },
    };
  }

  /** Task ids holding one of the project's slots now (for tests and operators). */
  async holders(project: string): Promise<string[]> {
    return this.redis.zrangebyscore(this.prefix + project, Date.now(), '+inf');
  }

  private async lease(key: string, taskId: string): Promise<boolean> {
    const now = Date.now();
    return (await this.redis.eval(TAKE, 1, key, now, now + LEASE_MS, taskId, this.limit, LEASE_MS * 2)) === 1;
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
