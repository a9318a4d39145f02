import type { MemberStatus, Visibility } from './image.js';

export const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export type ValueMatch = { eq: string } | { in: string[] };
export interface RangeMatch {
  op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
  value: Date;
}

/** GET /v2/images as the persistence layer needs it: every filter parsed and checked, the sort complete. */
export interface ImageListQuery {
  /** Unset: the default scope (public, own, accepted shared); `all`: also others' community images. */
  visibility: Visibility | 'all' | null;
  memberStatus: MemberStatus | 'all';
  /**
   * The Images API v1's scope, in place of `visibility`'s (glance-v1 reference §4): `caller` = public, own and
   * shared-with-the-project images (any member status), for admins too; `all-projects` = every project's images
   * but others' community ones (an admin's is_public=None); `non-public` = the same without public images.
   */
  v1Scope?: 'caller' | 'all-projects' | 'non-public';
  /** v1's changes-since: deleted, pending_delete and killed images are listed too. */
  includeUnlisted?: boolean;
  osHidden: boolean;
  name?: ValueMatch;
  id?: ValueMatch;
  status?: ValueMatch;
  containerFormat?: ValueMatch;
  diskFormat?: ValueMatch;
  owner?: string;
  /** Images with a copy in this store (the operator console's filter; Glance's API has none). */
  store?: string;
  checksum?: string;
  osHashValue?: string;
  minRam?: number;
  minDisk?: number;
  protected?: boolean;
  tags: string[];
  /** Exact size (Glance accepts `size` as a filter on the core attribute). */
  size?: number;
  sizeMin?: number;
  sizeMax?: number;
  createdAt?: RangeMatch;
  updatedAt?: RangeMatch;
  /** Custom properties that must equal these values. */
  properties: Record<string, string>;
  /** Sort keys with the created_at, id tie-break appended. */
  sort: { key: SortKey; dir: SortDir }[];
  limit: number;
  marker?: string;
}
