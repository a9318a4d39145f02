import { propPair } from './image.mapper.js';
import { type Image, type ImageListQuery, type RangeMatch, type SortKey, UNLISTED_STATUSES, type ValueMatch } from '@glimpse/domain';

/** Who is asking: the project (null for an unscoped admin token), whether admin, and its member images. */
export interface ListScope {
  projectId: string | null;
  isAdmin: boolean;
  /** Ids of the images the project is a member of with the requested member_status. */
  memberImageIds: string[];
}

type Filter = Record<string, unknown>;

const FIELD: Record<SortKey, keyof Image | '_id'> = {
  name: 'name',
  status: 'status',
  container_format: 'containerFormat',
  disk_format: 'diskFormat',
  size: 'size',
  id: '_id',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
};

const value = (m: ValueMatch | undefined) => (m === undefined ? undefined : 'in' in m ? { $in: m.in } : m.eq);
const MONGO_OP = { gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte', eq: '$eq', neq: '$ne' } as const;
const range = (r: RangeMatch | undefined) => (r === undefined ? undefined : { [MONGO_OP[r.op]]: r.value });

/** Which images the caller may list, before filters (reference §4: visibility scope). */
function scopeOf(query: ImageListQuery, scope: ListScope): Filter {
  const mine = scope.projectId === null ? [] : [{ owner: scope.projectId }];
  // A member sees a member image only while it is shared (canSeeImage's rule): one made private again keeps its
  // membership records but is hidden from them, in listings as in a show.
  const member = scope.memberImageIds.length ? [{ _id: { $in: scope.memberImageIds }, visibility: 'shared' }] : [];
  switch (query.v1Scope) {
    case 'caller':
      return { $or: [{ visibility: 'public' }, ...mine, ...member] };
    case 'all-projects':
      return { $or: [{ visibility: { $ne: 'community' } }, ...mine] };
    case 'non-public':
      return { $or: [{ visibility: { $in: ['private', 'shared'] } }, ...mine.map((m) => ({ ...m, visibility: 'community' }))] };
  }
  const v = query.visibility;
  if (scope.isAdmin) {
    if (v === 'all') return {};
    if (v !== null) return { visibility: v };
    return { $or: [{ visibility: { $ne: 'community' } }, ...mine] };
  }
  switch (v) {
    case null:
      return { $or: [{ visibility: 'public' }, ...mine, ...member] };
    case 'all':
      return { $or: [{ visibility: { $in: ['public', 'community'] } }, ...mine, ...member] };
    case 'public':
    case 'community':
      return { visibility: v };
    case 'private':
      return mine.length ? { visibility: 'private', ...mine[0] } : { _id: { $in: [] } };
    case 'shared':
      return { visibility: 'shared', $or: [...mine, ...member, { _id: { $in: [] } }] };
  }
}

/** The MongoDB filter of a listing: scope, then every filter, never the unlisted statuses. */
export function listFilter(query: ImageListQuery, scope: ListScope): Filter {
  return filterWithin(query, scopeOf(query, scope));
}

/**
 * The listing's filter as one filter per branch of the caller's scope, when that scope is an `$or` of plain
 * equalities only (a member without memberships: public or its own), each branch's equalities at the top level,
 * where FerretDB pushes them down: PostgreSQL then reads only the rows of that branch (the public ones, the
 * project's own) instead of every row the other conditions let through. The union of the branches' matches is
 * exactly listFilter's. Any other scope: listFilter alone.
 */
export function listFilterBranches(query: ImageListQuery, scope: ListScope): Filter[] {
  const whole = scopeOf(query, scope);
  const branches = whole.$or as Filter[] | undefined;
  if (!branches || Object.keys(whole).length !== 1 || !branches.every((b) => Object.values(b).every(isPlain))) return [filterWithin(query, whole)];
  return branches.map((branch) => filterWithin(query, branch));
}

function filterWithin(query: ImageListQuery, scope: Filter): Filter {
  const and: Filter[] = query.includeUnlisted ? [] : [{ status: { $nin: UNLISTED_STATUSES } }];
  const exact: Filter = {
    name: value(query.name),
    _id: value(query.id),
    status: value(query.status),
    containerFormat: value(query.containerFormat),
    diskFormat: value(query.diskFormat),
    owner: query.owner,
    'locations.store': query.store,
    checksum: query.checksum,
    osHashValue: query.osHashValue,
    minRam: query.minRam,
    minDisk: query.minDisk,
    protected: query.protected,
    osHidden: query.osHidden,
    createdAt: range(query.createdAt),
    updatedAt: range(query.updatedAt),
  };
  // An equality on a plain value goes at the top level of the filter, where FerretDB 1.x pushes it down to its
  // backend as a WHERE clause (it pushes nothing inside $and/$or); MongoDB reads both shapes alike.
  const top: Filter = {};
  for (const [k, v] of Object.entries(exact)) if (v !== undefined) (isPlain(v) ? (top[k] = v) : and.push({ [k]: v }));
  // A scope without an $or (one visibility, maybe an owner) is plain equalities too.
  for (const [k, v] of Object.entries(scope)) (k !== '$or' && isPlain(v) && !(k in top) ? (top[k] = v) : and.push({ [k]: v }));
  // One tag and one property pair at the top level as well (an equality on an array matches an element).
  if (query.tags.length) top.tags = query.tags[0];
  if (query.tags.length > 1) and.push({ tags: { $all: query.tags } });
  if (query.size !== undefined) and.push({ size: query.size });
  if (query.sizeMin !== undefined) and.push({ size: { $gte: query.sizeMin } });
  if (query.sizeMax !== undefined) and.push({ size: { $lte: query.sizeMax } });
  const pairs = Object.entries(query.properties).map(([k, v]) => propPair(k, v));
  if (pairs.length) top.propPairs = pairs[0];
  if (pairs.length > 1) and.push({ propPairs: { $all: pairs } });
  return { ...top, $and: and };
}

const isPlain = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date;

export function sortSpec(query: ImageListQuery): Record<string, 1 | -1> {
  return Object.fromEntries(query.sort.map((s) => [FIELD[s.key], s.dir === 'asc' ? 1 : -1]));
}

/**
 * Keyset condition for "after the marker" in the listing's sort order. MongoDB orders null below every value,
 * so after a null in ascending order come all non-null values, and nothing comes after a null in descending
 * order on that key but the rows equal on it.
 */
export function afterMarker(query: ImageListQuery, marker: Image): Filter {
  const markerValue = (key: SortKey): unknown => (key === 'id' ? marker.id : (marker[FIELD[key] as keyof Image] ?? null));
  const branches: Filter[] = [];
  const equalSoFar: Filter[] = [];
  for (const { key, dir } of query.sort) {
    const field = FIELD[key];
    const m = markerValue(key);
    const beyond = dir === 'asc' ? (m === null ? { [field]: { $ne: null } } : { [field]: { $gt: m } }) : m === null ? null : { $or: [{ [field]: { $lt: m } }, { [field]: null }] };
    if (beyond) branches.push(equalSoFar.length ? { $and: [...equalSoFar, beyond] } : beyond);
    equalSoFar.push({ [field]: m });
  }
  return branches.length ? { $or: branches } : { _id: { $in: [] } };
}
