import cron from 'node-cron';
import { z } from 'zod';

/**
 * Every environment variable Glimpse reads, with its default. This file and load-config.ts are the only
 * places that know about process.env; everything else receives the typed AppConfig.
 */
const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A comma-separated list, each item checked by `item`; an empty string is an empty list. */
function csv<O>(item: z.ZodType<O>) {
  return z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v), z.array(item));
}

/** A quota: a whole number, or -1 for unlimited (Glance's meaning). */
const quotaLimit = z.coerce.number().int().min(-1).max(Number.MAX_SAFE_INTEGER);

const cronOrOff = z.string().refine((v) => v === 'off' || cron.validate(v), 'must be a cron expression or "off"');

const mongoUri = z
  .string()
  .refine((v) => /^mongodb(\+srv)?:\/\/[^/\s]+/.test(v), 'must be a mongodb:// or mongodb+srv:// URL');
const redisUrl = z.string().refine((v) => /^rediss?:\/\/[^\s]*$/.test(v) && URL.canParse(v), 'must be a redis:// or rediss:// URL');

export const envSchema = z.object({
  PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
  HOME: z.string().default('/root'),
  GOBIN: z.string().optional(),
  GOPATH: z.string().optional(),
  /** MongoDB (6+) or FerretDB connection string; unset: a local server started by Glimpse. */
  MONGODB_URI: mongoUri.optional(),
  /** Redis connection URL; unset: a local redis-server started by Glimpse. */
  REDIS_URL: redisUrl.optional(),
  /** Directory for local service data, the file store and staging. */
  GLIMPSE_DATA_DIR: z.string().min(1).default('.data'),
  /** Address and port the API listens on. */
  GLIMPSE_HOST: z.string().min(1).default('127.0.0.1'),
  GLIMPSE_PORT: z.coerce.number().int().min(0).max(65535).default(9292),
  /** Public base URL used in links (versions document, pagination); unset: taken from each request's Host. */
  GLIMPSE_PUBLIC_URL: z.url().optional(),
  /** Serve the Images API v1 (/v1) next to v2, on the same records. */
  GLIMPSE_API_V1: bool.default(true),
  /**
   * Let v1's x-image-meta-location register an image whose data stays at a URL (an http store location, fetched
   * through the web-download guards, its checksum computed by a job), for callers the set_image_location rule
   * allows. Off: such a POST is refused (400), as the v1 reference advises.
   */
  GLIMPSE_API_V1_LOCATIONS: bool.default(false),
  /** Ports of the local services Glimpse starts when MONGODB_URI / REDIS_URL are unset. */
  GLIMPSE_LOCAL_MONGO_PORT: port.default(27117),
  GLIMPSE_LOCAL_REDIS_PORT: port.default(6479),
  /**
   * Port of the PostgreSQL cluster Glimpse starts under a local FerretDB (GLIMPSE_FERRETDB_BACKEND=postgresql);
   * unset: GLIMPSE_LOCAL_MONGO_PORT + 1000 (28117), so two checkouts with their own local ports never share one.
   */
  GLIMPSE_LOCAL_POSTGRES_PORT: port.optional(),
  /** Backend of the local FerretDB: `postgresql` (a PostgreSQL cluster of its own, the default) or `sqlite` (a small install). */
  GLIMPSE_FERRETDB_BACKEND: z.enum(['postgresql', 'sqlite']).default('postgresql'),
  /**
   * The PostgreSQL database under the FerretDB that MONGODB_URI names (postgres://user@host:port/db), when there is
   * one: Glimpse then keeps its companion indexes there. Set by Glimpse itself for the local FerretDB it starts.
   */
  GLIMPSE_FERRETDB_POSTGRES_URL: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL').optional(),
  /**
   * The folder of the SQLite files under the FerretDB that MONGODB_URI names, when it runs on SQLite (its
   * --sqlite-url): Glimpse then adds the `_id` indexes its lookups use there. Set by Glimpse for its local FerretDB.
   */
  GLIMPSE_FERRETDB_SQLITE_DIR: z.string().min(1).optional(),
  /** Database name used when MONGODB_URI names none. */
  GLIMPSE_DB_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, _ or -').default('glimpse'),
  /**
   * How conditional updates are made atomic: `native` trusts the server's findOneAndUpdate (MongoDB), `lock`
   * serialises writers of a document with a short-lived lock record (needed on FerretDB 1.x, whose
   * findOneAndUpdate reads and writes in two steps), `auto` asks the server which one it is.
   */
  GLIMPSE_DB_WRITE_MODE: z.enum(['auto', 'native', 'lock']).default('auto'),
  /** Prefix of every BullMQ key in Redis. */
  GLIMPSE_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]{1,64}$/, 'must be 1-64 letters, digits, _ - or :').default('glimpse'),
  /** Comma-separated queues this worker process consumes; empty or "all" = every queue. */
  WORKER_QUEUES: z.string().default('all'),
  /** Concurrency of each worker queue. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Logging: fatal, error, warn, info, debug, trace or silent. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty (human) logs instead of JSON lines. */
  LOG_PRETTY: bool.default(false),
  /** Explicit paths of the local service programs; unset: looked up on PATH and in Go's bin directory. */
  GLIMPSE_MONGOD_BIN: z.string().optional(),
  GLIMPSE_FERRETDB_BIN: z.string().optional(),
  GLIMPSE_REDIS_BIN: z.string().optional(),
  /** Directory of PostgreSQL's programs (initdb, postgres); unset: on PATH, else the newest /usr/lib/postgresql/<version>/bin. */
  GLIMPSE_POSTGRES_BIN_DIR: z.string().optional(),
  /**
   * How requests are authenticated: `noauth` trusts the identity headers Keystone's middleware forwards
   * (X-Project-Id/X-Tenant-Id, X-User-Id, X-Roles); `tokens` maps X-Auth-Token values from GLIMPSE_TOKENS_FILE.
   */
  GLIMPSE_AUTH: z.enum(['noauth', 'tokens', 'keystone']).default('noauth'),
  /**
   * Policy: `secure-rbac` (Glance's current defaults: project admin / member / reader personas) or `legacy`
   * (Glance's deprecated defaults: admin or owner). GLIMPSE_POLICY_FILE (YAML or JSON, oslo.policy's format)
   * overrides rules by name.
   */
  GLIMPSE_POLICY_DEFAULTS: z.enum(['secure-rbac', 'legacy']).default('secure-rbac'),
  GLIMPSE_POLICY_FILE: z.string().min(1).optional(),
  /** Refuse tokens scoped to the system or a domain (every image API action is project-scoped). */
  GLIMPSE_POLICY_ENFORCE_SCOPE: bool.default(true),
  /** noauth is refused on a non-loopback GLIMPSE_HOST unless this is true. */
  GLIMPSE_NOAUTH_ALLOW_REMOTE: bool.default(false),
  /** noauth: the project and roles of a request that sends no identity headers (Glance: no project, admin). */
  GLIMPSE_NOAUTH_DEFAULT_PROJECT: z.string().optional(),
  GLIMPSE_NOAUTH_DEFAULT_ROLES: z.string().default('admin'),
  /** tokens: a JSON file {"<token>": {"project": "...", "user": "...", "roles": ["member"]}}. */
  GLIMPSE_TOKENS_FILE: z.string().optional(),
  /** keystone: Keystone's URL (with or without /v3); X-Auth-Token is validated there (GET /v3/auth/tokens). */
  GLIMPSE_KEYSTONE_URL: z.url().optional(),
  /** keystone: the service's own credentials (a user with a role Keystone lets validate tokens, e.g. admin or service). */
  GLIMPSE_KEYSTONE_USERNAME: z.string().min(1).optional(),
  GLIMPSE_KEYSTONE_PASSWORD: z.string().min(1).optional(),
  GLIMPSE_KEYSTONE_PROJECT_NAME: z.string().min(1).default('service'),
  GLIMPSE_KEYSTONE_USER_DOMAIN_NAME: z.string().min(1).default('Default'),
  GLIMPSE_KEYSTONE_PROJECT_DOMAIN_NAME: z.string().min(1).default('Default'),
  /** keystone: an application credential instead of user and password. */
  GLIMPSE_KEYSTONE_APP_CREDENTIAL_ID: z.string().min(1).optional(),
  GLIMPSE_KEYSTONE_APP_CREDENTIAL_SECRET: z.string().min(1).optional(),
  /** keystone: seconds a validated token is trusted before it is checked again (capped by its expiry; 0 = always check). */
  GLIMPSE_KEYSTONE_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(60),
  /** keystone: seconds to wait for Keystone before answering 503. */
  GLIMPSE_KEYSTONE_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(120).default(5),
  /**
   * node-cron schedules (6 fields with seconds, or 5) of the maintenance sweeps, or `off`. Every worker replica
   * runs the schedule; each tick still runs once across replicas.
   */
  GLIMPSE_SCHEDULE_AUDITOR: cronOrOff.default('0 */30 * * * *'),
  GLIMPSE_SCHEDULE_REPLICATOR: cronOrOff.default('0 */10 * * * *'),
  GLIMPSE_SCHEDULE_UPDATER: cronOrOff.default('0 */5 * * * *'),
  GLIMPSE_SCHEDULE_REAPER: cronOrOff.default('0 */5 * * * *'),
  /** Import methods POST /v2/images/{id}/import accepts (Glance's enabled_import_methods). */
  GLIMPSE_IMPORT_METHODS: csv(z.enum(['glance-direct', 'web-download', 'copy-image'])).default(['glance-direct', 'web-download', 'copy-image']),
  /** Minutes after which an import lock whose task shows no progress may be taken over (Glance: 60). */
  GLIMPSE_IMPORT_LOCK_MINUTES: z.coerce.number().int().min(1).max(10080).default(60),
  /** web-download URL filter, as Glance's [import_filtering_opts] (comma-separated lists; empty = unset). */
  GLIMPSE_WEB_DOWNLOAD_ALLOWED_SCHEMES: csv(z.string().min(1)).default(['http', 'https']),
  GLIMPSE_WEB_DOWNLOAD_DISALLOWED_SCHEMES: csv(z.string().min(1)).default([]),
  GLIMPSE_WEB_DOWNLOAD_ALLOWED_HOSTS: csv(z.string().min(1)).default([]),
  GLIMPSE_WEB_DOWNLOAD_DISALLOWED_HOSTS: csv(z.string().min(1)).default([]),
  GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: csv(port).default([80, 443]),
  GLIMPSE_WEB_DOWNLOAD_DISALLOWED_PORTS: csv(port).default([]),
  /**
   * CIDRs web-download may reach although they are internal (loopback, private, link-local, metadata...);
   * everything internal is refused by default, whatever name points at it.
   */
  GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: csv(z.cidrv4().or(z.cidrv6())).default([]),
  GLIMPSE_WEB_DOWNLOAD_MAX_REDIRECTS: z.coerce.number().int().min(0).max(20).default(5),
  GLIMPSE_WEB_DOWNLOAD_CONNECT_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(600).default(10),
  GLIMPSE_WEB_DOWNLOAD_IDLE_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(60),
  /** Auditor: bytes re-hashed per run (a rotating sample of the active images; existence and size are checked for all). */
  GLIMPSE_AUDIT_BYTES_PER_RUN: z.coerce.number().int().min(0).default(10 * 1024 ** 3),
  /** Updater: an upload (`saving`) whose API process stopped sending heartbeats this long ago goes back to queued. */
  GLIMPSE_STUCK_SAVING_MINUTES: z.coerce.number().min(1).default(10),
  /** Reaper (Glance's scrubber): DELETE of an active image with data leaves it pending_delete for GLIMPSE_SCRUB_TIME_SECONDS. */
  GLIMPSE_DELAYED_DELETE: bool.default(false),
  GLIMPSE_SCRUB_TIME_SECONDS: z.coerce.number().int().min(0).default(0),
  /** Temporary files of interrupted writes (file stores, staging) untouched this long are removed by the reaper. */
  GLIMPSE_PARTIAL_GRACE_MINUTES: z.coerce.number().min(1).default(60),
  /** Objects in a store that no image references are removed by the reaper this long after the auditor found them. */
  GLIMPSE_ORPHAN_GRACE_HOURS: z.coerce.number().min(0).default(24),
  /**
   * Replicator placement policy: `;`-separated rules `<visibility|*>=<stores joined by ,|N copies>`, e.g.
   * `public=a,b;*=2`. Empty: no placement, the replicator only replaces copies the auditor found bad.
   */
  GLIMPSE_REPLICATION_POLICY: z.string().default(''),
  /** Killed images are purged (data and status deleted) this long after they were killed. */
  GLIMPSE_KILLED_GRACE_MINUTES: z.coerce.number().int().min(0).default(60),
  /** Deleted image records are kept this long (admins can still see them), then removed for good. */
  GLIMPSE_DELETED_RETENTION_DAYS: z.coerce.number().min(0).default(30),
  /** Imports convert their data to this disk_format with qemu-img (Glance's image_conversion plugin); unset = off. */
  GLIMPSE_IMPORT_CONVERT_TO: z.enum(['raw', 'qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi']).optional(),
  /** Address-space cap of each qemu-img process the conversion runs, MiB. */
  GLIMPSE_IMPORT_CONVERT_MEMORY_MB: z.coerce.number().int().min(256).max(65536).default(2048),
  /** Format gate (Glance's [image_format]): refuse data whose content is not the declared disk_format. */
  GLIMPSE_FORMAT_REQUIRE_MATCH: bool.default(true),
  /** vmdk createType values accepted (vmdk_allowed_types); empty = no vmdk at all. */
  GLIMPSE_FORMAT_VMDK_ALLOWED_TYPES: csv(z.string().regex(/^[A-Za-z]+$/, 'must be vmdk createType names')).default(['monolithicSparse', 'streamOptimized']),
  /** Accept encrypted qcow2 images (Glance does); false refuses them. */
  GLIMPSE_FORMAT_ALLOW_QCOW2_ENCRYPTION: bool.default(true),
  /** Inspector reason codes kept as warnings (like gpt_safety_checks_nonfatal), e.g. `mbr-invalid,gpt-invalid`. */
  GLIMPSE_FORMAT_NONFATAL_CHECKS: csv(z.enum(['mbr-invalid', 'gpt-invalid', 'iso-invalid'])).default([]),
  /**
   * Image stores (Glance's enabled_backends): `id:type,...` for file/http stores, or a JSON array of store
   * objects (s3 needs options); see README.
   */
  GLIMPSE_STORES: z.string().min(1).default('local:file'),
  /** Store that uploads go to when X-Image-Meta-Store names none (default_backend); default: the first one. */
  GLIMPSE_DEFAULT_STORE: z.string().min(1).optional(),
  /** Largest image in bytes accepted by upload, stage and import (Glance's image_size_cap, 1 TiB). */
  GLIMPSE_IMAGE_SIZE_CAP: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1099511627776),
  /**
   * Per-project quotas after Glance's unified limits: image_size_total and image_stage_total in MiB,
   * image_count_total and image_count_uploading in images; -1 (the default) = unlimited.
   */
  GLIMPSE_QUOTA_IMAGE_SIZE_TOTAL: quotaLimit.default(-1),
  GLIMPSE_QUOTA_IMAGE_STAGE_TOTAL: quotaLimit.default(-1),
  GLIMPSE_QUOTA_IMAGE_COUNT_TOTAL: quotaLimit.default(-1),
  GLIMPSE_QUOTA_IMAGE_COUNT_UPLOADING: quotaLimit.default(-1),
  /** Per-project overrides: JSON {"<project id>": {"image_count_total": 10, ...}}; unnamed limits keep the defaults. */
  GLIMPSE_QUOTA_PROJECTS: z.string().optional(),
  /**
   * OSSN-0076: images one project may hold in `queued` (created, no data yet); a create past it answers 413, so
   * no project can fill the catalogue with empty records. -1 = no limit.
   */
  GLIMPSE_QUEUED_IMAGES_PER_PROJECT: z.coerce.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).refine((n) => n !== 0, 'must be -1 or at least 1').default(1000),
  /** URL imports (v2 web-download, v1 copy-from) of one project running at once; more wait in the queue. -1 = no limit. */
  GLIMPSE_URL_IMPORTS_PER_PROJECT: z.coerce.number().int().min(-1).max(10_000).refine((n) => n !== 0, 'must be -1 or at least 1').default(2),
  /** os_hash_algo of new image data (Glance's hashing_algorithm). */
  GLIMPSE_HASH_ALGO: z.enum(['sha1', 'sha224', 'sha256', 'sha384', 'sha512']).default('sha512'),
  /**
   * The API node's image cache (Glance's image_cache_dir): images downloaded whole are kept under this directory
   * and served from it; unset = no cache (and no /v2/cache API).
   */
  GLIMPSE_IMAGE_CACHE_DIR: z.string().min(1).optional(),
  /** Bytes the pruner keeps the cache under (image_cache_max_size, 10 GiB). */
  GLIMPSE_IMAGE_CACHE_MAX_SIZE: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(10 * 1024 ** 3),
  /**
   * Seconds a cache writer may go without progress before it stops vouching for its partial file, which the
   * cleaner then removes (image_cache_stall_time, 1 day).
   */
  GLIMPSE_IMAGE_CACHE_STALL_TIME: z.coerce.number().int().min(1).default(86400),
  /**
   * Seconds without a heartbeat after which a partial cache file is taken for a dead writer's (a killed process):
   * the next writer of the image replaces it, the cleaner removes it. Live writers touch their file every quarter.
   */
  GLIMPSE_IMAGE_CACHE_WRITER_TIMEOUT: z.coerce.number().int().min(1).max(86400).default(60),
  /**
   * This API node's identity in the cache records (Glance's worker_self_reference_url), e.g. http://node1:9292;
   * unset: `<hostname>:<cache dir>`.
   */
  GLIMPSE_NODE_URL: z.string().min(1).max(255).optional(),
  /** node-cron schedules of each API node's cache jobs, or `off`: fill from the queue, keep under size, remove stalled partials. */
  GLIMPSE_SCHEDULE_CACHE_PREFETCHER: cronOrOff.default('0 */5 * * * *'),
  GLIMPSE_SCHEDULE_CACHE_PRUNER: cronOrOff.default('0 */30 * * * *'),
  GLIMPSE_SCHEDULE_CACHE_CLEANER: cronOrOff.default('0 0 * * * *'),
  /** Seconds a health probe waits for MongoDB or Redis before calling it down. */
  HEALTH_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(2),
  /** How long an operator console session lasts after sign-in (absolute, not renewed by use). */
  GLIMPSE_CONSOLE_SESSION_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  /** Serve the operator console (/console and its queue board) from this API process. */
  GLIMPSE_CONSOLE: bool.default(true),
  /**
   * How long a console session trusts its token's last check: past this, the next request asks the authenticator
   * again (keystone: GET /v3/auth/tokens, uncached), so a revoked token ends the session (0 = every request).
   */
  GLIMPSE_CONSOLE_RECHECK_SECONDS: z.coerce.number().min(0).max(3600).default(30),
});

export type Env = z.infer<typeof envSchema>;
