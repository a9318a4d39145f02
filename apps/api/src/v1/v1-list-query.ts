import { type ImageListQuery, invalid, type RequestContext, SORT_KEYS, type SortDir, type SortKey } from '@glimpse/domain';
import type { RawQuery } from '../images/listing/list-query.js';

export const V1_LIMIT_DEFAULT = 25;
export const V1_LIMIT_MAX = 1000;

const one = (q: RawQuery, key: string): string | undefined => {
  const v = q[key];
  return Array.isArray(v) ? v.at(-1) : v;
};

/**
 * GET /v1/images and /v1/images/detail's query, with Queens' rules and words (glance-v1 reference §4). Only the
 * parameters v1 knows are read; the rest are ignored. Name and format filters are literal (no v2 `in:`/`eq:`).
 */
export function parseV1ListQuery(q: RawQuery, ctx: RequestContext): ImageListQuery {
  const changesSince = one(q, 'changes-since');
  const sortKey = one(q, 'sort_key') ?? 'created_at';
  if (!(SORT_KEYS as readonly string[]).includes(sortKey)) {
    throw invalid(`Unsupported sort_key. Acceptable values: ${SORT_KEYS.join(', ')}`);
  }
  const sortDir = one(q, 'sort_dir') ?? 'desc';
  if (sortDir !== 'asc' && sortDir !== 'desc') throw invalid('Unsupported sort_dir. Acceptable values: asc, desc');
  const sort: { key: SortKey; dir: SortDir }[] = [{ key: sortKey as SortKey, dir: sortDir }];
  for (const key of ['created_at', 'id'] as const) if (sortKey !== key) sort.push({ key, dir: sortDir });

  const properties: Record<string, string> = {};
  for (const key of Object.keys(q)) if (key.startsWith('property-') && key.length > 9) properties[key.slice(9)] = one(q, key)!;

  const literal = (key: string) => {
    const v = one(q, key);
    return v === undefined ? undefined : { eq: v };
  };
  const marker = one(q, 'marker');
  if (marker !== undefined && !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(marker)) {
    throw invalid('Invalid marker format');
  }
  return {
    visibility: null,
    memberStatus: 'all',
    v1Scope: scopeOf(one(q, 'is_public'), ctx),
    includeUnlisted: changesSince !== undefined,
    osHidden: false,
    name: literal('name'),
    status: literal('status'),
    containerFormat: literal('container_format'),
    diskFormat: literal('disk_format'),
    minRam: integer(q, 'min_ram'),
    minDisk: integer(q, 'min_disk'),
    protected: protectedFilter(one(q, 'protected')),
    tags: [],
    sizeMin: integer(q, 'size_min'),
    sizeMax: integer(q, 'size_max'),
    updatedAt: changesSince === undefined ? undefined : { op: 'gt', value: changesSinceDate(changesSince) },
    properties,
    sort,
    limit: limitOf(one(q, 'limit')),
    marker: marker?.toLowerCase(),
  };
}

/**
 * is_public: checked for syntax by everyone, a meaning only for admins (true or absent: the admin's own view,
 * None: every project, false: every project's non-public images).
 */
function scopeOf(raw: string | undefined, ctx: RequestContext): NonNullable<ImageListQuery['v1Scope']> {
  const value = raw?.toLowerCase();
  if (value !== undefined && !['true', 'false', '1', '0', 'none'].includes(value)) {
    throw invalid(`Bad value passed to filter is_public got ${raw}`);
  }
  if (!ctx.isAdmin || value === undefined || value === 'true' || value === '1') return 'caller';
  return value === 'none' ? 'all-projects' : 'non-public';
}

function integer(q: RawQuery, key: string): number | undefined {
  const raw = one(q, key);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) throw invalid(`Bad value passed to filter ${key} got ${raw}`);
  return Number(raw);
}

function protectedFilter(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  const value = raw.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalid('protected must be True, or False');
}

function changesSinceDate(raw: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(raw.trim());
  const date = m ? new Date(normaliseIso(m)) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw invalid('Unrecognized changes-since value');
  return date;
}

/** ISO 8601 as Date reads it: a time defaults to midnight, a missing zone means UTC (Glance's naive times). */
function normaliseIso(m: RegExpExecArray): string {
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m;
  const tz = zone === undefined || zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${tz}`;
}

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return V1_LIMIT_DEFAULT;
  if (!/^-?\d+$/.test(raw.trim())) throw invalid('limit param must be an integer');
  const n = Number(raw);
  if (n < 0) throw invalid('limit param must be positive');
  return Math.min(n, V1_LIMIT_MAX);
}
