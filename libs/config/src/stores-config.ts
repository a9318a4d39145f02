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

/** One configured store (Glance's enabled_backends entry with its own section). */
export type StoreConfig =
  | { id: string; type: 'file'; description?: string; weight: number; dir: string }
  | ({ id: string; type: 's3'; description?: string; weight: number } & S3StoreOptions)
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
]);

/**
 * Parses GLIMPSE_STORES: either a comma-separated `id:type` list (file and http stores with defaults, like
 * Glance's enabled_backends) or a JSON array of store objects for stores that need options (s3). File stores
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
