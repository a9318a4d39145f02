import { randomBytes } from 'node:crypto';
import { loadConfig, type ResolvedConfig } from '@glimpse/config';
import { testTempDir } from './temp-dir.js';

/** The servers `npm test` started or was pointed at (test/run.ts passes them down). */
export function testServices(): { mongoUri: string; redisUrl: string } {
  const mongoUri = process.env.GLIMPSE_TEST_MONGODB_URI;
  const redisUrl = process.env.GLIMPSE_TEST_REDIS_URL;
  if (!mongoUri || !redisUrl) throw new Error('run the tests with `npm test` (it starts MongoDB-compatible and Redis servers)');
  return { mongoUri, redisUrl };
}

/** A unique suffix so parallel tests never share a database, queue prefix or directory. */
export function uniqueId(): string {
  return randomBytes(5).toString('hex');
}

/** A complete configuration on its own database name and queue prefix, from env-style overrides. */
export function testConfig(overrides: Record<string, string | undefined> = {}): ResolvedConfig {
  const { mongoUri, redisUrl } = testServices();
  const id = uniqueId();
  const dbName = `t_${id}`;
  const uri = mongoUri.replace(/(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, `$1/${dbName}`);
  const config = loadConfig({
    MONGODB_URI: uri,
    REDIS_URL: redisUrl,
    GLIMPSE_FERRETDB_POSTGRES_URL: process.env.GLIMPSE_TEST_POSTGRES_URL,
    GLIMPSE_FERRETDB_SQLITE_DIR: process.env.GLIMPSE_TEST_SQLITE_DIR,
    GLIMPSE_QUEUE_PREFIX: `t${id}`,
    // A data dir of its own unless the test brings one; removed when the test process ends at the latest.
    GLIMPSE_DATA_DIR: overrides.GLIMPSE_DATA_DIR ?? testTempDir('glimpse-test-'),
    GLIMPSE_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GOPATH: process.env.GOPATH,
    GOBIN: process.env.GOBIN,
    ...overrides,
  });
  return config as ResolvedConfig;
}
