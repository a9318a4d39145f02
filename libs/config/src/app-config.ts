/** The typed configuration every module receives. Built once by loadConfig(). */
export interface AppConfig {
  dataDir: string;
  http: { host: string; port: number; publicUrl?: string };
  mongo: { uri?: string; dbName: string; localPort: number; writeMode: 'auto' | 'native' | 'lock' };
  redis: { url?: string; localPort: number };
  queue: { prefix: string; workerQueues: string[] | 'all'; concurrency: number };
  log: { level: string; pretty: boolean };
  auth: {
    mode: 'noauth' | 'tokens';
    noauthDefaultProject: string | null;
    noauthDefaultRoles: string[];
    tokensFile?: string;
  };
  health: { timeoutMs: number };
  /** Cron expressions of the maintenance sweeps; null = off. */
  schedules: { auditor: string | null; replicator: string | null; updater: string | null; reaper: string | null };
  /** Where to find the local service programs: explicit paths, then these directories in order. */
  tools: { mongod?: string; ferretdb?: string; redisServer?: string; searchPath: string[] };
}

/** AppConfig once MongoDB and Redis addresses are known (configured, or local services started). */
export interface ResolvedConfig extends AppConfig {
  mongo: AppConfig['mongo'] & { uri: string };
  redis: AppConfig['redis'] & { url: string };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
