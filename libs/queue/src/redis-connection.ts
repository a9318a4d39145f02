import type { RedisOptions } from 'ioredis';

/** How long one command of the job producer may take before it fails (Redis stopped, frozen or unreachable). */
export const PRODUCER_COMMAND_TIMEOUT_MS = 5_000;

/**
 * ioredis options for a Redis URL. BullMQ workers need maxRetriesPerRequest = null (they block on Redis);
 * reconnects back off to at most one second so a restarted Redis is picked up quickly. The producer's commands
 * (adding jobs while a request waits) fail instead of waiting: at once while the connection is down (no offline
 * queue, no resend after a drop), after PRODUCER_COMMAND_TIMEOUT_MS when Redis does not answer (frozen).
 */
export function redisOptions(url: string, purpose: 'queue' | 'producer' | 'probe'): RedisOptions {
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
      : purpose === 'producer'
        ? { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS, connectTimeout: PRODUCER_COMMAND_TIMEOUT_MS }
        : { maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000, lazyConnect: false }),
  };
}
