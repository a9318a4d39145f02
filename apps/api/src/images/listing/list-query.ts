import {
  type ImageListQuery,
  invalid,
  MEMBER_STATUSES,
  type RangeMatch,
  SORT_KEYS,
  type SortDir,
  type SortKey,
  type ValueMatch,
  VISIBILITIES,
} from '@glimpse/domain';

export type RawQuery = Record<string, string | string[] | undefined>;

/** Query keys with a meaning of their own; any other key filters on a custom property. */
const KNOWN = new Set([
  'limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'visibility', 'member_status', 'os_hidden', 'name', 'id', 'status',
  'container_format', 'disk_format', 'owner', 'checksum', 'os_hash_value', 'min_ram', 'min_disk', 'protected', 'tag',
  'size', 'size_min', 'size_max', 'created_at', 'updated_at',
]);

const all = (q: RawQuery, key: string): string[] => {
  const v = q[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
/** The last value of a key (Glance reads single-valued parameters that way). */
const one = (q: RawQuery, key: string): string | undefined => all(q, key).at(-1);

/**
 * Parses GET /v2/images' query string with Glance's rules and words (reference §4): 400 for any malformed value.
 * `limitMax` caps the page size silently, as api_limit_max does.
 */
export function parseListQuery(q: RawQuery, limitMax: number, limitDefault = 25): ImageListQuery {
  if (q['changes-since'] !== undefined) throw invalid('The "changes-since" filter is no longer available on v2.');
  const visibility = one(q, 'visibility');
  if (visibility !== undefined && visibility !== 'all' && !(VISIBILITIES as readonly string[]).includes(visibility)) {
    throw invalid(`Invalid visibility value: ${visibility}`);
  }
  const memberStatus = one(q, 'member_status') ?? 'accepted';
  if (memberStatus !== 'all' && !(MEMBER_STATUSES as readonly string[]).includes(memberStatus)) {
    throw invalid(`Invalid status value: ${memberStatus}`);
  }
  const properties = Object.fromEntries(Object.keys(q).filter((key) => !KNOWN.has(key) && key !== 'changes-since').map((key) => [key, one(q, key)!]));

  return {
    visibility: (visibility ?? null) as ImageListQuery['visibility'],
    memberStatus: memberStatus as ImageListQuery['memberStatus'],
    osHidden: bool(q, 'os_hidden') ?? false,
    name: valueMatch(q, 'name'),
    id: valueMatch(q, 'id'),
    status: valueMatch(q, 'status'),
    containerFormat: valueMatch(q, 'container_format'),
    diskFormat: valueMatch(q, 'disk_format'),
    owner: one(q, 'owner'),
    checksum: one(q, 'checksum'),
    osHashValue: one(q, 'os_hash_value'),
    minRam: integer(q, 'min_ram', 'Unable to filter on a range with a non-numeric value.'),
    minDisk: integer(q, 'min_disk', 'Unable to filter on a range with a non-numeric value.'),
    protected: bool(q, 'protected'),
    tags: all(q, 'tag'),
    size: integer(q, 'size', 'Unable to filter on a range with a non-numeric value.'),
    sizeMin: integer(q, 'size_min', 'Unable to filter on a range with a non-numeric value.'),
    sizeMax: integer(q, 'size_max', 'Unable to filter on a range with a non-numeric value.'),
    createdAt: range(q, 'created_at'),
    updatedAt: range(q, 'updated_at'),
    properties,
    sort: sortOf(q),
    limit: limitOf(one(q, 'limit'), limitMax, limitDefault),
    marker: one(q, 'marker'),
  };
}

function limitOf(raw: string | undefined, max: number, byDefault: number): number {
  if (raw === undefined) return byDefault;
  if (!/^-?\d+$/.test(raw)) throw invalid('limit param must be an integer');
  const n = Number(raw);
  if (n < 0) throw invalid('limit param must be positive');
  return Math.min(n, max);
}

/**
 * A true/false filter. Glance lowercases os_hidden first (openstacksdk sends `os_hidden=True` when it looks an
 * image up by name) but takes `protected` only as written.
 */
function bool(q: RawQuery, key: 'os_hidden' | 'protected'): boolean | undefined {
  const raw = one(q, key);
  if (raw === undefined) return undefined;
  const v = key === 'os_hidden' ? raw.toLowerCase() : raw;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalid(`Invalid value '${v}' for '${key}' filter. Valid values are 'true' or 'false'.`);
}

function integer(q: RawQuery, key: string, message: string): number | undefined {
  const v = one(q, key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw invalid(message);
  return Number(v);
}

/** `v`, `eq:v` or `in:a,"b, c"` (Glance's operator syntax for name, id, status and the formats). */
function valueMatch(q: RawQuery, key: string): ValueMatch | undefined {
  const v = one(q, key);
  if (v === undefined) return undefined;
  if (v.startsWith('in:')) return { in: splitQuoted(v.slice(3)) };
  if (v.startsWith('eq:')) return { eq: v.slice(3) };
  return { eq: v };
}

/** CSV where a value containing commas is quoted: `a,"b, c"`; unbalanced quotes → 400. */
export function splitQuoted(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw invalid('Invalid filter value: the quotes are not balanced.');
      out.push(text.slice(i + 1, end));
      i = end + 1;
      if (i < text.length && text[i] !== ',') throw invalid('Invalid filter value: a quoted value must be followed by a comma.');
      i++;
    } else {
      const end = text.indexOf(',', i);
      const item = text.slice(i, end < 0 ? undefined : end);
      if (item.includes('"')) throw invalid('Invalid filter value: the quotes are not balanced.');
      out.push(item);
      if (end < 0) break;
      i = end + 1;
    }
  }
  return out;
}

const OPS = new Set(['gt', 'gte', 'lt', 'lte', 'eq', 'neq']);

function range(q: RawQuery, key: string): RangeMatch | undefined {
  const v = one(q, key);
  if (v === undefined) return undefined;
  const m = /^([a-z]+):(.*)$/.exec(v);
  const op = m && !/^\d/.test(v) ? m[1]! : 'eq';
  const when = m && !/^\d/.test(v) ? m[2]! : v;
  if (!OPS.has(op)) throw invalid('Unable to filter on a unknown operator.');
  const date = /^\d{4}-\d{2}-\d{2}(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(when) ? new Date(when) : null;
  if (!date || Number.isNaN(date.getTime()) || !isCalendarDay(when.slice(0, 10))) {
    throw invalid(`Bad "${key}" query filter format. Use ISO 8601 DateTime notation.`);
  }
  return { op: op as RangeMatch['op'], value: date };
}

/** `YYYY-MM-DD` names a day of the calendar (JavaScript's Date would read 2020-02-30 as March 1st). */
function isCalendarDay(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const day = new Date(0);
  day.setUTCFullYear(y, m - 1, d);
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** Both syntaxes; created_at and id appended as tie-breakers (dir: the single given sort_dir, else desc). */
function sortOf(q: RawQuery): { key: SortKey; dir: SortDir }[] {
  const sort = all(q, 'sort');
  const keys = all(q, 'sort_key');
  const dirs = all(q, 'sort_dir');
  if (sort.length && (keys.length || dirs.length)) throw invalid('Old and new sorting syntax cannot be combined');
  let out: { key: SortKey; dir: SortDir }[];
  let tieDir: SortDir = 'desc';
  if (sort.length) {
    // As Glance reads `k1:dir,k2`: split at the first colon (`name:asc:x` has the direction `asc:x`); no direction → desc.
    out = sort.join(',').split(',').map((part) => {
      const colon = part.indexOf(':');
      const dir = colon < 0 ? '' : part.slice(colon + 1).trim();
      return { key: sortKey((colon < 0 ? part : part.slice(0, colon)).trim()), dir: sortDir(dir || 'desc') };
    });
  } else {
    if (dirs.length > 1 && dirs.length !== keys.length) throw invalid('Number of sort dirs does not match the number of sort keys');
    const parsedDirs = dirs.map(sortDir);
    if (parsedDirs.length === 1) tieDir = parsedDirs[0]!;
    out = keys.map((k, i) => ({ key: sortKey(k), dir: parsedDirs.length > 1 ? parsedDirs[i]! : (parsedDirs[0] ?? 'desc') }));
  }
  for (const key of ['created_at', 'id'] as const) if (!out.some((s) => s.key === key)) out.push({ key, dir: tieDir });
  return out;
}

function sortKey(key: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw invalid(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  }
  return key as SortKey;
}

function sortDir(dir: string): SortDir {
  if (dir !== 'asc' && dir !== 'desc') throw invalid(`Invalid sort direction: ${dir}`);
  return dir;
}
