import type { UrlFilterOptions } from '@glimpse/web-download';
import type { PolicySettings, ReplicationRule } from '@glimpse/domain';
import type { QuotasConfig } from './quotas-config.js';
import type { StoreConfig } from './stores-config.js';

/** The typed configuration, built once by loadConfig(); modules inject only its sections (InjectConfig). */
export interface AppConfig {
  dataDir: string;
  /** apiV1: the /v1 API is served (GLIMPSE_API_V1); apiV1Locations: v1's x-image-meta-location is accepted. */
  http: { host: string; port: number; publicUrl?: string; apiV1: boolean; apiV1Locations: boolean };
  mongo: {
    uri?: string;
    dbName: string;
    localPort: number;
    writeMode: 'auto' | 'native' | 'lock';
    /** Backend of the local FerretDB Glimpse starts when `uri` is unset. */
    ferretdbBackend: 'postgresql' | 'sqlite';
    /** Port of the PostgreSQL cluster started under that FerretDB. */
    localPostgresPort: number;
    /** The PostgreSQL database under a FerretDB at `uri` (companion indexes are kept there); unset: none known. */
    postgresUrl?: string;
    /** The folder of the SQLite files under a FerretDB at `uri` on its SQLite backend (its `_id` indexes are kept there). */
    sqliteDir?: string;
  };
  redis: { url?: string; localPort: number };
  queue: { prefix: string; workerQueues: string[] | 'all'; concurrency: number };
  log: { level: string; pretty: boolean };
  auth: {
    mode: 'noauth' | 'tokens' | 'keystone';
    noauthDefaultProject: string | null;
    noauthDefaultRoles: string[];
    tokensFile?: string;
    keystone?: KeystoneConfig;
  };
  /** The policy engine's settings (rules from GLIMPSE_POLICY_FILE already read and checked). */
  policy: PolicySettings;
  import: {
    methods: Array<'glance-direct' | 'web-download' | 'copy-image'>;
    lockTimeoutMs: number;
    webDownload: {
      filter: UrlFilterOptions;
      allowedNetworks: string[];
      maxRedirects: number;
      connectTimeoutMs: number;
      idleTimeoutMs: number;
    };
    /** Conversion of imported data with qemu-img; target null = off. Work files live in `workDir`. */
    conversion: { target: 'raw' | 'qcow2' | 'vmdk' | 'vhd' | 'vhdx' | 'vdi' | null; memoryBytes: number; workDir: string };
  };
  health: { timeoutMs: number };
  /**
   * The operator console (/console): whether this process serves it, how long a session lasts, and how long a
   * session's token is trusted before it is checked again.
   */
  console: { enabled: boolean; sessionMs: number; recheckMs: number };
  /** The format gate applied to every upload and import. */
  format: {
    requireMatch: boolean;
    vmdkAllowedTypes: string[];
    allowQcow2Encryption: boolean;
    nonfatalChecks: Array<'mbr-invalid' | 'gpt-invalid' | 'iso-invalid'>;
  };
  storage: {
    stores: StoreConfig[];
    defaultStore: string;
    /** image_size_cap in bytes. */
    imageSizeCap: number;
    hashAlgo: string;
    /** Staged data of glance-direct imports (PUT /v2/images/{id}/stage). */
    stagingDir: string;
  };
  /** Per-project quotas (Glance's unified limits): defaults and per-project overrides. */
  quotas: QuotasConfig;
  /**
   * Per-project limits against flooding (OSSN-0076): images held in `queued`, and URL imports (web-download,
   * copy-from) running at once (more wait in the queue); -1 = none.
   */
  limits: { queuedImagesPerProject: number; urlImportsPerProject: number };
  /** The reaper's rules (Glance's delayed_delete and scrub_time, and what Glance lacks: retention of records). */
  reaper: { delayedDelete: boolean; scrubTimeMs: number; killedGraceMs: number; deletedRetentionMs: number; partialGraceMs: number; orphanGraceMs: number };
  /** The auditor's re-hash budget per run. */
  auditor: { bytesPerRun: number };
  /** The replicator's placement policy (parsed GLIMPSE_REPLICATION_POLICY; empty: repairs only). */
  replicator: { policy: ReplicationRule[] };
  /** The updater's rules: an upload without a heartbeat for this long is stuck. */
  updater: { stuckSavingMs: number };
  /** Cron expressions of the maintenance sweeps; null = off. */
  schedules: { auditor: string | null; replicator: string | null; updater: string | null; reaper: string | null };
  /** The API node's image cache; null = off. */
  cache: CacheConfig | null;
  /** Where to find the local service programs: explicit paths, then these directories in order. */
  tools: { mongod?: string; ferretdb?: string; redisServer?: string; postgresBinDir?: string; searchPath: string[] };
}

/** The image cache of this API node (GLIMPSE_IMAGE_CACHE_*). */
export interface CacheConfig {
  dir: string;
  maxSize: number;
  /** A writer that made no progress for this long gives its partial file up to the cleaner (image_cache_stall_time). */
  stallMs: number;
  /** A partial file without a heartbeat for this long is a dead writer's: the next writer or the cleaner removes it. */
  writerTimeoutMs: number;
  /** This node's identity in the cache records. */
  node: string;
  schedules: { prefetcher: string | null; pruner: string | null; cleaner: string | null };
}

/** GLIMPSE_AUTH=keystone: where tokens are validated and the service's own credentials. */
export interface KeystoneConfig {
  /** Keystone's root URL, without /v3 (also named in WWW-Authenticate). */
  url: string;
  credentials:
    | { kind: 'password'; username: string; password: string; projectName: string; userDomainName: string; projectDomainName: string }
    | { kind: 'application-credential'; id: string; secret: string };
  cacheMs: number;
  timeoutMs: number;
}

/** AppConfig once MongoDB and Redis addresses are known (configured, or local services started). */
export interface ResolvedConfig extends AppConfig {
  mongo: AppConfig['mongo'] & { uri: string };
  redis: AppConfig['redis'] & { url: string };
}

