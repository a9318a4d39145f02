import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { QueueName } from '@glimpse/contracts';
import type { AppConfig, CacheConfig, KeystoneConfig } from './app-config.js';
import { type Env, envSchema } from './env.schema.js';
import { readPolicyFile } from './policy-config.js';
import { parseQuotaProjects, type QuotasConfig } from './quotas-config.js';
import { parseStores, type StoreConfig } from './stores-config.js';
import { parseReplicationPolicy, type ReplicationRule } from '@glimpse/domain';

/** A configuration error: its message is one line naming the variable, fit to print and exit on. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the environment. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const value = present[variable];
    throw new ConfigError(
      `Invalid configuration: ${variable}${value === undefined ? '' : `=${JSON.stringify(value)}`}: ${issue.message}`,
    );
  }
  const e = parsed.data;
  if (e.GLIMPSE_AUTH === 'noauth' && !isLoopback(e.GLIMPSE_HOST) && !e.GLIMPSE_NOAUTH_ALLOW_REMOTE) {
    throw new ConfigError(
      `Invalid configuration: GLIMPSE_AUTH="noauth": trusts identity headers, so it is refused on GLIMPSE_HOST=${e.GLIMPSE_HOST} unless GLIMPSE_NOAUTH_ALLOW_REMOTE=true`,
    );
  }
  if (e.GLIMPSE_AUTH === 'tokens' && !e.GLIMPSE_TOKENS_FILE) {
    throw new ConfigError('Invalid configuration: GLIMPSE_TOKENS_FILE: required when GLIMPSE_AUTH=tokens');
  }
  const keystone = e.GLIMPSE_AUTH === 'keystone' ? keystoneConfig(e) : undefined;
  const queues = e.WORKER_QUEUES.split(',').map((q) => q.trim()).filter(Boolean);
  const known = new Set<string>(Object.values(QueueName));
  const unknownQueue = queues.find((q) => q !== 'all' && !known.has(q));
  if (unknownQueue) {
    throw new ConfigError(
      `Invalid configuration: WORKER_QUEUES="${e.WORKER_QUEUES}": unknown queue ${unknownQueue} (queues: ${[...known].join(', ')})`,
    );
  }
  const dataDir = resolve(e.GLIMPSE_DATA_DIR);
  let stores: StoreConfig[];
  try {
    stores = parseStores(e.GLIMPSE_STORES, dataDir);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: GLIMPSE_STORES: ${(err as Error).message}`);
  }
  const defaultStore = e.GLIMPSE_DEFAULT_STORE ?? stores.find((s) => s.type !== 'http')?.id ?? stores[0]!.id;
  if (!stores.some((s) => s.id === defaultStore && s.type !== 'http')) {
    throw new ConfigError(`Invalid configuration: GLIMPSE_DEFAULT_STORE=${JSON.stringify(defaultStore)}: not a writable store of GLIMPSE_STORES`);
  }
  const replicationPolicy = checkedPolicy(e.GLIMPSE_REPLICATION_POLICY, stores);
  const quotas = quotasConfig(e);
  return {
    dataDir,
    quotas,
    limits: { queuedImagesPerProject: e.GLIMPSE_QUEUED_IMAGES_PER_PROJECT, urlImportsPerProject: e.GLIMPSE_URL_IMPORTS_PER_PROJECT },
    http: { host: e.GLIMPSE_HOST, port: e.GLIMPSE_PORT, publicUrl: e.GLIMPSE_PUBLIC_URL?.replace(/\/+$/, ''), apiV1: e.GLIMPSE_API_V1, apiV1Locations: e.GLIMPSE_API_V1_LOCATIONS },
    mongo: {
      uri: e.MONGODB_URI,
      dbName: (e.MONGODB_URI && databaseInUri(e.MONGODB_URI)) || e.GLIMPSE_DB_NAME,
      localPort: e.GLIMPSE_LOCAL_MONGO_PORT,
      writeMode: e.GLIMPSE_DB_WRITE_MODE,
      ferretdbBackend: e.GLIMPSE_FERRETDB_BACKEND,
      localPostgresPort: e.GLIMPSE_LOCAL_POSTGRES_PORT ?? beside(e.GLIMPSE_LOCAL_MONGO_PORT, 1000),
      postgresUrl: e.GLIMPSE_FERRETDB_POSTGRES_URL,
      sqliteDir: e.GLIMPSE_FERRETDB_SQLITE_DIR,
    },
    redis: { url: e.REDIS_URL, localPort: e.GLIMPSE_LOCAL_REDIS_PORT },
    queue: {
      prefix: e.GLIMPSE_QUEUE_PREFIX,
      workerQueues: queues.length === 0 || queues.includes('all') ? 'all' : queues,
      concurrency: e.WORKER_CONCURRENCY,
    },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    auth: {
      mode: e.GLIMPSE_AUTH,
      noauthDefaultProject: e.GLIMPSE_NOAUTH_DEFAULT_PROJECT ?? null,
      noauthDefaultRoles: e.GLIMPSE_NOAUTH_DEFAULT_ROLES.split(',').map((r) => r.trim()).filter(Boolean),
      tokensFile: e.GLIMPSE_TOKENS_FILE,
      keystone,
    },
    policy: { defaults: e.GLIMPSE_POLICY_DEFAULTS, overrides: policyOverrides(e.GLIMPSE_POLICY_FILE), enforceScope: e.GLIMPSE_POLICY_ENFORCE_SCOPE },
    health: { timeoutMs: Math.round(e.HEALTH_TIMEOUT_SECONDS * 1000) },
    console: { enabled: e.GLIMPSE_CONSOLE, sessionMs: e.GLIMPSE_CONSOLE_SESSION_MINUTES * 60_000, recheckMs: Math.round(e.GLIMPSE_CONSOLE_RECHECK_SECONDS * 1000) },
    format: {
      requireMatch: e.GLIMPSE_FORMAT_REQUIRE_MATCH,
      vmdkAllowedTypes: e.GLIMPSE_FORMAT_VMDK_ALLOWED_TYPES,
      allowQcow2Encryption: e.GLIMPSE_FORMAT_ALLOW_QCOW2_ENCRYPTION,
      nonfatalChecks: e.GLIMPSE_FORMAT_NONFATAL_CHECKS,
    },
    storage: {
      stores,
      defaultStore,
      imageSizeCap: e.GLIMPSE_IMAGE_SIZE_CAP,
      hashAlgo: e.GLIMPSE_HASH_ALGO,
      stagingDir: join(dataDir, 'staging'),
    },
    import: {
      methods: e.GLIMPSE_IMPORT_METHODS,
      lockTimeoutMs: e.GLIMPSE_IMPORT_LOCK_MINUTES * 60_000,
      webDownload: {
        filter: {
          allowedSchemes: e.GLIMPSE_WEB_DOWNLOAD_ALLOWED_SCHEMES,
          disallowedSchemes: e.GLIMPSE_WEB_DOWNLOAD_DISALLOWED_SCHEMES,
          allowedHosts: e.GLIMPSE_WEB_DOWNLOAD_ALLOWED_HOSTS,
          disallowedHosts: e.GLIMPSE_WEB_DOWNLOAD_DISALLOWED_HOSTS,
          allowedPorts: e.GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS,
          disallowedPorts: e.GLIMPSE_WEB_DOWNLOAD_DISALLOWED_PORTS,
        },
        allowedNetworks: e.GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS,
        maxRedirects: e.GLIMPSE_WEB_DOWNLOAD_MAX_REDIRECTS,
        connectTimeoutMs: e.GLIMPSE_WEB_DOWNLOAD_CONNECT_TIMEOUT_SECONDS * 1000,
        idleTimeoutMs: e.GLIMPSE_WEB_DOWNLOAD_IDLE_TIMEOUT_SECONDS * 1000,
      },
      conversion: {
        target: e.GLIMPSE_IMPORT_CONVERT_TO ?? null,
        memoryBytes: e.GLIMPSE_IMPORT_CONVERT_MEMORY_MB * 1024 * 1024,
        workDir: join(dataDir, 'convert'),
      },
    },
    auditor: { bytesPerRun: e.GLIMPSE_AUDIT_BYTES_PER_RUN },
    replicator: { policy: replicationPolicy },
    updater: { stuckSavingMs: e.GLIMPSE_STUCK_SAVING_MINUTES * 60_000 },
    reaper: {
      delayedDelete: e.GLIMPSE_DELAYED_DELETE,
      scrubTimeMs: e.GLIMPSE_SCRUB_TIME_SECONDS * 1000,
      killedGraceMs: e.GLIMPSE_KILLED_GRACE_MINUTES * 60_000,
      deletedRetentionMs: e.GLIMPSE_DELETED_RETENTION_DAYS * 24 * 3600_000,
      partialGraceMs: e.GLIMPSE_PARTIAL_GRACE_MINUTES * 60_000,
      orphanGraceMs: e.GLIMPSE_ORPHAN_GRACE_HOURS * 3600_000,
    },
    schedules: {
      auditor: offOr(e.GLIMPSE_SCHEDULE_AUDITOR),
      replicator: offOr(e.GLIMPSE_SCHEDULE_REPLICATOR),
      updater: offOr(e.GLIMPSE_SCHEDULE_UPDATER),
      reaper: offOr(e.GLIMPSE_SCHEDULE_REAPER),
    },
    cache: cacheConfig(e),
    tools: {
      mongod: e.GLIMPSE_MONGOD_BIN,
      ferretdb: e.GLIMPSE_FERRETDB_BIN,
      redisServer: e.GLIMPSE_REDIS_BIN,
      postgresBinDir: e.GLIMPSE_POSTGRES_BIN_DIR,
      searchPath: [
        ...e.PATH.split(':').filter(Boolean),
        e.GOBIN ?? '',
        join(e.GOPATH ?? join(e.HOME, 'go'), 'bin'),
      ].filter(Boolean),
    },
  };
}

function keystoneConfig(e: Env): KeystoneConfig {
  if (!e.GLIMPSE_KEYSTONE_URL) throw new ConfigError('Invalid configuration: GLIMPSE_KEYSTONE_URL: required when GLIMPSE_AUTH=keystone');
  const url = e.GLIMPSE_KEYSTONE_URL.replace(/\/+$/, '').replace(/\/v3$/, '');
  let credentials: KeystoneConfig['credentials'];
  if (e.GLIMPSE_KEYSTONE_APP_CREDENTIAL_ID || e.GLIMPSE_KEYSTONE_APP_CREDENTIAL_SECRET) {
    if (!e.GLIMPSE_KEYSTONE_APP_CREDENTIAL_ID || !e.GLIMPSE_KEYSTONE_APP_CREDENTIAL_SECRET) {
      throw new ConfigError('Invalid configuration: GLIMPSE_KEYSTONE_APP_CREDENTIAL_ID and GLIMPSE_KEYSTONE_APP_CREDENTIAL_SECRET go together');
    }
    credentials = { kind: 'application-credential', id: e.GLIMPSE_KEYSTONE_APP_CREDENTIAL_ID, secret: e.GLIMPSE_KEYSTONE_APP_CREDENTIAL_SECRET };
  } else if (e.GLIMPSE_KEYSTONE_USERNAME && e.GLIMPSE_KEYSTONE_PASSWORD) {
    credentials = {
      kind: 'password',
      username: e.GLIMPSE_KEYSTONE_USERNAME,
      password: e.GLIMPSE_KEYSTONE_PASSWORD,
      projectName: e.GLIMPSE_KEYSTONE_PROJECT_NAME,
      userDomainName: e.GLIMPSE_KEYSTONE_USER_DOMAIN_NAME,
      projectDomainName: e.GLIMPSE_KEYSTONE_PROJECT_DOMAIN_NAME,
    };
  } else {
    throw new ConfigError(
      'Invalid configuration: GLIMPSE_KEYSTONE_USERNAME and GLIMPSE_KEYSTONE_PASSWORD (or GLIMPSE_KEYSTONE_APP_CREDENTIAL_ID and _SECRET): required when GLIMPSE_AUTH=keystone',
    );
  }
  return {
    url,
    credentials,
    cacheMs: Math.round(e.GLIMPSE_KEYSTONE_CACHE_SECONDS * 1000),
    timeoutMs: Math.round(e.GLIMPSE_KEYSTONE_TIMEOUT_SECONDS * 1000),
  };
}

function quotasConfig(e: Env): QuotasConfig {
  let projects: QuotasConfig['projects'];
  try {
    projects = parseQuotaProjects(e.GLIMPSE_QUOTA_PROJECTS);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: GLIMPSE_QUOTA_PROJECTS: ${(err as Error).message}`);
  }
  const defaults = {
    image_size_total: e.GLIMPSE_QUOTA_IMAGE_SIZE_TOTAL,
    image_stage_total: e.GLIMPSE_QUOTA_IMAGE_STAGE_TOTAL,
    image_count_total: e.GLIMPSE_QUOTA_IMAGE_COUNT_TOTAL,
    image_count_uploading: e.GLIMPSE_QUOTA_IMAGE_COUNT_UPLOADING,
  };
  const enabled = Object.values(defaults).some((v) => v >= 0) || Object.values(projects).some((p) => Object.values(p).some((v) => v >= 0));
  return { enabled, defaults, projects };
}

function cacheConfig(e: Env): CacheConfig | null {
  if (!e.GLIMPSE_IMAGE_CACHE_DIR) return null;
  const dir = resolve(e.GLIMPSE_IMAGE_CACHE_DIR);
  return {
    dir,
    maxSize: e.GLIMPSE_IMAGE_CACHE_MAX_SIZE,
    stallMs: e.GLIMPSE_IMAGE_CACHE_STALL_TIME * 1000,
    writerTimeoutMs: e.GLIMPSE_IMAGE_CACHE_WRITER_TIMEOUT * 1000,
    node: e.GLIMPSE_NODE_URL ?? `${hostname()}:${dir}`,
    schedules: {
      prefetcher: offOr(e.GLIMPSE_SCHEDULE_CACHE_PREFETCHER),
      pruner: offOr(e.GLIMPSE_SCHEDULE_CACHE_PRUNER),
      cleaner: offOr(e.GLIMPSE_SCHEDULE_CACHE_CLEANER),
    },
  };
}

function offOr(schedule: string): string | null {
  return schedule === 'off' ? null : schedule;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The database named in a MongoDB connection string's path, if any. */
function databaseInUri(uri: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]+\/([^?]+)/.exec(uri);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

/** Runs main(config); a ConfigError becomes one line on stderr and exit code 2. */
export async function runWithConfig(main: (config: AppConfig) => Promise<void>): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  await main(config);
}

/** The replication policy, every store it names configured and writable. */
function checkedPolicy(text: string, stores: readonly StoreConfig[]): ReplicationRule[] {
  const fail = (why: string) => new ConfigError(`Invalid configuration: GLIMPSE_REPLICATION_POLICY: ${why}`);
  let rules: ReplicationRule[];
  try {
    rules = parseReplicationPolicy(text);
  } catch (err) {
    throw fail((err as Error).message);
  }
  const writable = stores.filter((s) => s.type !== 'http');
  for (const rule of rules) {
    if ('stores' in rule) {
      const unknown = rule.stores.find((id) => !writable.some((s) => s.id === id));
      if (unknown) throw fail(`${unknown} is not a writable store of GLIMPSE_STORES`);
    } else if (rule.copies > writable.length) {
      throw fail(`${rule.copies} copies asked, ${writable.length} writable stores configured`);
    }
  }
  return rules;
}

function policyOverrides(path: string | undefined): Record<string, string> {
  if (!path) return {};
  try {
    return readPolicyFile(path);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: GLIMPSE_POLICY_FILE=${path}: ${(err as Error).message}`);
  }
}

/** A local service's default port, `offset` away from another's (downwards when that would pass 65535). */
function beside(port: number, offset: number): number {
  return port + offset <= 65535 ? port + offset : port - offset;
}
