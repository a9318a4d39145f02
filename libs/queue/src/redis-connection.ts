import type { RedisOptions } from 'ioredis';

/**
 * ioredis options for a Redis URL. BullMQ workers need maxRetriesPerRequest = null (they block on Redis);
 * reconnects back off to at most one second so a restarted Redis is picked up quickly.
 */
export function redisOptions(url: string, purpose: 'queue' | 'probe'): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    ...(purpose === 'queue'
      ? { maxRetriesPerRequest: null, enableReadyCheck: false }
      : { maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000, lazyConnect: false }),
  };
}
