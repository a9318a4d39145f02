import { join } from 'node:path';
import { z } from 'zod';

/** What an s3 store needs to reach its bucket. */
export interface S3StoreOptions {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  /** Multipart part size in bytes (at least 5 MiB). */
  partSize: number;
  /** Parts uploaded at once; memory held is about partSize × (queueSize + 1). */
  queueSize: number;
  /** Key prefix inside the bucket. */
  prefix: string;
}

/** How a swift store authenticates: tempauth/swauth (v1) or Keystone v3 (password or application credential). */
export type SwiftAuthOptions =
  | { version: 1; url: string; user: string; key: string }
  | {
      version: 3;
      url: string;
      /** Password auth: the user (by id, or by name in a domain) and the project it is scoped to. */
      user?: string;
      userId?: string;
      userDomainId?: string;
      userDomainName?: string;
      password?: string;
      projectId?: string;
      projectName?: string;
      projectDomainId?: string;
      projectDomainName?: string;
      /** Application credential auth (instead of the password): its id, or its name with the user. */
      applicationCredentialId?: string;
      applicationCredentialName?: string;
      applicationCredentialSecret?: string;
      /** The catalog's object-store endpoint: region (any when unset) and interface. */
      region?: string;
      interface: 'public' | 'internal' | 'admin';
      serviceType: string;
    };

/** What a swift store needs to reach its account and lay out its objects (Glance's Swift store settings). */
export interface SwiftStoreOptions {
  auth: SwiftAuthOptions;
  /** A fixed storage URL (swift_store_endpoint) instead of the one auth returns. */
  storageUrl?: string;
  /** Name of the account reference in locations (`swift+config://<reference>/…`, Glance's swift_store_config_file section). */
  reference: string;
  container: string;
  /** Glance's swift_store_multiple_containers_seed: 0 = one container, N = `<container>_<first N chars of the id>`. */
  containerSeed: number;
  createContainer: boolean;
  /** Images of at least this many bytes (or of unknown size beyond it) are written as segments plus a DLO manifest. */
  largeObjectSize: number;
  segmentSize: number;
  /** Attempts per request after the first for idempotent requests (connection errors, 5xx). */
  retries: number;
  /** Resumes of a download whose stream breaks (Range from the bytes already sent). */
  readResumes: number;
  /** Per request: connecting and each wait for data. */
  timeoutMs: number;
  /** Names per listing page (the cluster's container_listing_limit). */
  listingLimit: number;
}

/** One configured store (Glance's enabled_backends entry with its own section). */
export type StoreConfig =
  | { id: string; type: 'file'; description?: string; weight: number; dir: string }
  | ({ id: string; type: 's3'; description?: string; weight: number } & S3StoreOptions)
  | ({ id: string; type: 'swift'; description?: string; weight: number } & SwiftStoreOptions)
  | { id: string; type: 'http'; description?: string; weight: number };

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'store ids are 1-64 letters, digits, _ or -').refine((v) => !v.startsWith('os_glance_'), 'store ids starting os_glance_ are reserved');
const common = { id, description: z.string().optional(), weight: z.number().int().default(0) };
const MiB = 1 << 20;
const storeSchema = z.discriminatedUnion('type', [
  z.object({ ...common, type: z.literal('file'), dir: z.string().min(1).optional() }).strict(),
  z
    .object({
      ...common,
      type: z.literal('s3'),
      endpoint: z.url().optional(),
      region: z.string().default('us-east-1'),
      bucket: z.string().min(3),
      access_key: z.string().optional(),
      secret_key: z.string().optional(),
      force_path_style: z.boolean().default(true),
      part_size_mb: z.number().int().min(5).max(5120).default(8),
      queue_size: z.number().int().min(1).max(16).default(2),
      prefix: z.string().default(''),
    })
    .strict(),
  z.object({ ...common, type: z.literal('http') }).strict(),
  z
    .object({
      ...common,
      type: z.literal('swift'),
      auth_url: z.url(),
      /** 1: tempauth (user `account:user`, key); 3: Keystone. Default: 3 when the URL ends in /v3, else 1. */
      auth_version: z.union([z.literal(1), z.literal(3)]).optional(),
      user: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
      user_id: z.string().min(1).optional(),
      user_domain_id: z.string().min(1).optional(),
      user_domain_name: z.string().min(1).optional(),
      project_id: z.string().min(1).optional(),
      project_name: z.string().min(1).optional(),
      project_domain_id: z.string().min(1).optional(),
      project_domain_name: z.string().min(1).optional(),
      application_credential_id: z.string().min(1).optional(),
      application_credential_name: z.string().min(1).optional(),
      application_credential_secret: z.string().min(1).optional(),
      region: z.string().min(1).optional(),
      interface: z.enum(['public', 'internal', 'admin']).default('public'),
      service_type: z.string().min(1).default('object-store'),
      storage_url: z.url().optional(),
      reference: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a reference is 1-64 letters, digits, _ . or -').optional(),
      container: z.string().min(1).max(200).regex(/^[^/]+$/, 'a container name has no /').default('glance'),
      multiple_containers_seed: z.number().int().min(0).max(32).default(0),
      create_container_on_put: z.boolean().default(true),
      large_object_size: z.number().int().min(1).default(64 * MiB),
      segment_size: z.number().int().min(1).default(64 * MiB),
      retries: z.number().int().min(0).max(10).default(3),
      read_resumes: z.number().int().min(0).max(10).default(2),
      timeout_seconds: z.number().min(0.1).max(3600).default(60),
      listing_limit: z.number().int().min(1).max(1_000_000).default(10_000),
    })
    .strict(),
]);

type SwiftEntry = Extract<z.infer<typeof storeSchema>, { type: 'swift' }>;

/** The swift entry's options, its auth checked for completeness (one-line messages, never the secrets). */
function swiftOptions(s: SwiftEntry): SwiftStoreOptions {
  const version = s.auth_version ?? (/\/v3\/?$/.test(s.auth_url) ? 3 : 1);
  let auth: SwiftAuthOptions;
  if (version === 1) {
    if (!s.user || !s.key) throw new Error(`store ${s.id}: auth_version 1 needs user (account:user) and key`);
    auth = { version: 1, url: s.auth_url, user: s.user, key: s.key };
  } else {
    const appCred = s.application_credential_id ?? s.application_credential_name;
    if (appCred) {
      if (!s.application_credential_secret) throw new Error(`store ${s.id}: an application credential needs application_credential_secret`);
      if (!s.application_credential_id && !s.user && !s.user_id) throw new Error(`store ${s.id}: application_credential_name needs user or user_id`);
    } else {
      if (!s.user && !s.user_id) throw new Error(`store ${s.id}: Keystone auth needs user or user_id (or an application credential)`);
      if (!s.key) throw new Error(`store ${s.id}: Keystone password auth needs key (the password)`);
      if (!s.project_id && !s.project_name) throw new Error(`store ${s.id}: Keystone password auth needs project_id or project_name`);
    }
    auth = {
      version: 3,
      url: s.auth_url,
      user: s.user,
      userId: s.user_id,
      userDomainId: s.user_domain_id ?? (s.user_domain_name ? undefined : 'default'),
      userDomainName: s.user_domain_name,
      password: appCred ? undefined : s.key,
      projectId: s.project_id,
      projectName: s.project_name,
      projectDomainId: s.project_domain_id ?? (s.project_domain_name ? undefined : 'default'),
      projectDomainName: s.project_domain_name,
      applicationCredentialId: s.application_credential_id,
      applicationCredentialName: s.application_credential_name,
      applicationCredentialSecret: s.application_credential_secret,
      region: s.region,
      interface: s.interface,
      serviceType: s.service_type,
    };
  }
  return {
    auth,
    storageUrl: s.storage_url,
    reference: s.reference ?? s.id,
    container: s.container,
    containerSeed: s.multiple_containers_seed,
    createContainer: s.create_container_on_put,
    largeObjectSize: s.large_object_size,
    segmentSize: s.segment_size,
    retries: s.retries,
    readResumes: s.read_resumes,
    timeoutMs: Math.round(s.timeout_seconds * 1000),
    listingLimit: s.listing_limit,
  };
}

/**
 * Parses GLIMPSE_STORES: either a comma-separated `id:type` list (file and http stores with defaults, like
 * Glance's enabled_backends) or a JSON array of store objects for stores that need options (s3, swift). File stores
 * keep their bytes under `<data dir>/stores/<id>` unless `dir` is given. Throws a one-line message.
 */
export function parseStores(value: string, dataDir: string): StoreConfig[] {
  let raw: unknown[];
  if (value.trim().startsWith('[')) {
    try {
      raw = JSON.parse(value) as unknown[];
    } catch {
      throw new Error('not valid JSON');
    }
    if (!Array.isArray(raw)) throw new Error('must be a JSON array of stores');
  } else {
    raw = value.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
      const [storeId, type, ...rest] = entry.split(':');
      if (!storeId || !type || rest.length) throw new Error(`"${entry}" is not id:type`);
      return { id: storeId, type };
    });
  }
  if (raw.length === 0) throw new Error('at least one store is needed');
  const stores = raw.map((item, i) => {
    const parsed = storeSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`store ${i + 1}${issue.path.length ? ` ${issue.path.join('.')}` : ''}: ${issue.message}`);
    }
    const s = parsed.data;
    if (s.type === 'file') return { ...s, dir: s.dir ?? join(dataDir, 'stores', s.id) } satisfies StoreConfig;
    if (s.type === 'http') return s satisfies StoreConfig;
    if (s.type === 'swift') return { id: s.id, type: 'swift', description: s.description, weight: s.weight, ...swiftOptions(s) } satisfies StoreConfig;
    return {
      id: s.id,
      type: 's3',
      description: s.description,
      weight: s.weight,
      endpoint: s.endpoint,
      region: s.region,
      bucket: s.bucket,
      accessKeyId: s.access_key,
      secretAccessKey: s.secret_key,
      forcePathStyle: s.force_path_style,
      partSize: s.part_size_mb * MiB,
      queueSize: s.queue_size,
      prefix: s.prefix,
    } satisfies StoreConfig;
  });
  const seen = new Set<string>();
  for (const s of stores) {
    if (seen.has(s.id)) throw new Error(`store id ${s.id} appears twice`);
    seen.add(s.id);
  }
  return stores;
}
