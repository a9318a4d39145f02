import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { type Image, type ImageListQuery, invalid, MEMBER_STATUSES, type MemberStatus } from '@glimpse/domain';
import { DatabaseServer } from '../database-server.js';
import { type CensusMinute, MinuteCensus } from '../ferretdb/minute-census.js';
import { CREATED_BUCKETS } from './image-keys.js';
import { afterMarker, type ListScope, listFilter, listFilterBranches, sortSpec } from './image-list-filter.js';
import { toImage } from './image.mapper.js';
import { ImageDoc } from './image.schema.js';
import { MemberRepository } from './member.repository.js';

/** One page of GET /v2/images: keyset pagination in the requested order, scoped to what the caller may see. */
@Injectable()
export class ImageListing {
  constructor(
    @InjectModel(ImageDoc.name) private readonly model: Model<ImageDoc>,
    private readonly members: MemberRepository,
    private readonly server: DatabaseServer,
    private readonly census: MinuteCensus,
  ) {}

  async page(query: ImageListQuery, caller: { projectId: string | null; isAdmin: boolean }, probe: PageProbe = {}): Promise<Image[]> {
    // The project's memberships, read at most once a page (the marker's scope and the page's use them).
    let memberships: Promise<{ imageId: string; status: MemberStatus }[]> | undefined;
    const membershipsOf = (projectId: string) => (memberships ??= this.members.membershipsOf(projectId));
    const way = probe.way ?? 'census';
    const newestFirst = query.sort[0]?.key === 'created_at' && query.sort[0].dir === 'desc';
    const walkable = this.server.equalityPushdownOnly && newestFirst && way !== 'one-query';
    // Without a marker a walk starts at now: the census's first read needs nothing the page reads before it.
    const minutes = new NonEmptyMinutes(way === 'census' ? this.census : null, probe.crowdedAt ?? Math.max(CROWDED_MINUTE, CROWDED_FACTOR * query.limit));
    let start = walkStart(undefined);
    if (walkable && query.marker === undefined && query.limit > 0) minutes.prefetch(start);
    const scope = await this.scope(query, caller, membershipsOf);
    const filter = listFilter(query, scope);
    // An equality that names (nearly) one image reads few rows in one query: no walk needed.
    const walk = walkable && !SELECTIVE_KEYS.some((k) => k in filter);
    // The walk reads the scope's branches apart when each is pushed down whole and the page's order is plain
    // (created_at, then id), so the merge below orders exactly as one query would.
    const filters = walk && query.sort.length === 2 && query.sort[1]!.key === 'id' ? listFilterBranches(query, scope) : [filter];
    if (query.marker !== undefined) {
      // The marker must be an image the caller may list (its other filters aside).
      const visible = listFilter({ ...query, ...NO_FILTERS, visibility: 'all', memberStatus: 'all' }, await this.scope({ ...query, memberStatus: 'all' }, caller, membershipsOf));
      // The id at the top level: a lookup FerretDB pushes down; the scope is checked on that one record.
      const doc = await this.model.findOne({ ...visible, _id: query.marker }).lean<ImageDoc>().exec();
      if (!doc) throw invalid(`No image found with ID ${query.marker}`);
      const after = afterMarker(query, toImage(doc));
      for (const f of new Set([filter, ...filters])) (f.$and as object[]).push(after);
      start = walkStart(doc.createdAt);
    }
    if (query.limit === 0) return [];
    const docs = walk
      ? await this.byBuckets(query, filters, start, minutes, probe)
      : await this.model.find(filter).sort(sortSpec(query)).limit(query.limit).lean<ImageDoc[]>().exec();
    return docs.map(toImage);
  }

  /**
   * A newest-first page on FerretDB, which cannot push a range, a sort or a limit with a filter down: walk the
   * creation buckets (image-keys.ts) from the newest down, each query being the page's filter plus one bucket
   * equality, which PostgreSQL finds by index, so only that bucket's matching rows are read and sorted (a scope of
   * plain branches, public or own, is one query per branch, merged: listFilterBranches). The minute
   * census (MinuteCensus) names the minutes that hold any image, so the walk queries only those (or the wider
   * bucket holding the next of them) and stops when there are no more; without it every minute may hold rows and
   * is queried. Minutes while they yield rows; a whole ten minutes of buckets without a match in a row move the walk
   * to ten minutes, six of those (an hour) to hours, 24 hours to days (WIDEN_AFTER_EMPTY): a bucket without a match
   * costs one indexed query that reads nothing, a wider bucket reads every matching row in it, so a pause of a few
   * minutes before a dense stretch costs a few empty queries, not a bucket ten times larger, and a sparse stretch
   * still costs tens of queries, not thousands. A sparse filter widens sooner: once two buckets at one width (from
   * the first with rows) give matches at a rate whose next-width bucket holds no more than the page still needs.
   * Each query is bounded by `createdAt < upper`, the start of what was walked already. A minute crowded by a burst of
   * creates (the census counts at least CROWDED_MINUTE records in it, and CROWDED_FACTOR times what the page still
   * needs) is walked second by second instead, only the seconds the census names, so a page inside it reads the rows
   * of the seconds it spans, not the whole minute; the same rules widen that walk back to the rest of the minute in
   * one query when its seconds turn out to hold few matches.
   * After EMPTY_DAYS days without a match in a row, or MAX_BUCKET_QUERIES queries, one query reads the rest (what
   * every page cost before: each remaining row that matches). Exact in order and content: buckets partition time,
   * the census skips only minutes (and seconds) without a record, and within one bucket the page's own sort
   * (created_at first, then id within a second) applies.
   */
  private async byBuckets(
    query: ImageListQuery, filters: Record<string, unknown>[], start: number, minutes: NonEmptyMinutes, { walk, crowdedAt }: PageProbe,
  ): Promise<ImageDoc[]> {
    const sort = sortSpec(query);
    const out: ImageDoc[] = [];
    // Everything not yet walked is before `upper`.
    let upper = start;
    const findOne = (filter: Record<string, unknown>, extra: Record<string, unknown>, limit: number) =>
      this.model
        .find({ ...filter, ...extra, $and: [...((filter.$and as object[] | undefined) ?? []), { createdAt: { $lt: new Date(upper) } }] })
        .sort(sort)
        .limit(limit)
        .lean<ImageDoc[]>()
        .exec();
    // One query per filter (the scope's branches), their first `limit` in the page's order, each image once.
    const find = async (extra: Record<string, unknown>, limit: number) =>
      filters.length === 1 ? findOne(filters[0]!, extra, limit) : merged(await Promise.all(filters.map((f) => findOne(f, extra, limit))), query, limit);
    if (walk) walk.branches = filters.length;
    let level = MINUTE;
    let empty = 0;
    let emptyDays = 0;
    // Since the first bucket with rows at this width: buckets queried, the matches they gave and where that bucket
    // ended (minutes the census skipped count as walked time): the filter's rate.
    let rate = { buckets: 0, rows: 0, since: 0 };
    // A crowded minute walked second by second (level SECOND), and the seconds of it that hold records, newest first;
    // a crowded minute whose rest is read in one query (its seconds' rate said so).
    let crowded: { minute: number; seconds: number[] } | undefined;
    let whole: number | undefined;
    const moveTo = (to: number) => {
      level = to;
      empty = 0;
      rate = { buckets: 0, rows: 0, since: 0 };
    };
    for (let queries = 0; out.length < query.limit; ) {
      if (queries === MAX_BUCKET_QUERIES || emptyDays === EMPTY_DAYS) {
        out.push(...(await find({}, query.limit - out.length)));
        walk?.levels.push('rest');
        break;
      }
      let next: number; // the start (ms) of the next bucket that may hold records
      if (crowded) {
        while (crowded.seconds.length && crowded.seconds[0]! * 1000 >= upper) crowded.seconds.shift();
        if (!crowded.seconds.length) {
          // The crowded minute is walked: on with minutes below it.
          upper = Math.min(upper, crowded.minute * 60_000);
          crowded = undefined;
          moveTo(MINUTE);
          continue;
        }
        next = crowded.seconds[0]! * 1000;
      } else {
        const minute = await minutes.below(upper);
        if (minute === undefined) break; // no record below `upper` at all
        const needed = query.limit - out.length;
        if (level === MINUTE && minute.minute !== whole && (minute.records ?? 0) >= (crowdedAt ?? Math.max(CROWDED_MINUTE, CROWDED_FACTOR * needed))) {
          // No second named in a minute the census counts records in: they lack `createdSecond` (written before the
          // backfill, or by an older Glimpse since); the minute is read whole.
          const seconds = await minutes.secondsOf(minute.minute, upper);
          if (seconds?.length) {
            crowded = { minute: minute.minute, seconds };
            moveTo(SECOND);
            continue;
          }
        }
        next = minute.minute * 60_000;
      }
      const { key, ms } = CREATED_BUCKETS[level]!;
      const bucket = Math.floor(next / ms);
      const top = upper;
      const found = await find({ [key]: bucket }, query.limit - out.length);
      queries++;
      if (walk) {
        walk.queries++;
        walk.levels.push(key);
        walk.buckets?.push({ [key]: bucket });
      }
      out.push(...found);
      upper = bucket * ms;
      if (found.length > 0 && rate.buckets === 0) rate = { buckets: 0, rows: 0, since: Math.min(top, (bucket + 1) * ms) };
      if (found.length > 0 || rate.buckets > 0) rate = { ...rate, buckets: rate.buckets + 1, rows: rate.rows + found.length };
      // A run of buckets without a match (the clock-skew minute, a pause, a sparse filter) widens the walk; so does
      // a filter whose rows so far say the next wider bucket holds no more than the page still needs (it would walk
      // all of that bucket's narrower ones anyway, reading the same rows in more queries). From seconds, wider is
      // the rest of the crowded minute.
      const wider = CREATED_BUCKETS[level + 1];
      const sparse = wider !== undefined && rate.buckets >= DENSITY_SAMPLE && (rate.rows / (rate.since - upper)) * wider.ms <= query.limit - out.length;
      if (found.length > 0) empty = emptyDays = 0;
      else if (level === CREATED_BUCKETS.length - 1) emptyDays++;
      else empty++;
      if (wider !== undefined && (sparse || empty === WIDEN_AFTER_EMPTY[level])) {
        if (crowded) [whole, crowded] = [crowded.minute, undefined];
        moveTo(level + 1);
      }
    }
    return out;
  }

  /** The query plan of a page (tests and benchmarks show it uses an index). */
  async explain(query: ImageListQuery, caller: { projectId: string | null; isAdmin: boolean }): Promise<unknown> {
    const filter = listFilter(query, await this.scope(query, caller));
    return this.model.find(filter).sort(sortSpec(query)).limit(query.limit).explain('executionStats');
  }

  private async scope(
    query: ImageListQuery,
    caller: { projectId: string | null; isAdmin: boolean },
    membershipsOf = (projectId: string) => this.members.membershipsOf(projectId),
  ): Promise<ListScope> {
    const statuses: readonly MemberStatus[] = query.memberStatus === 'all' ? MEMBER_STATUSES : [query.memberStatus];
    // v1's caller scope lists an admin's member images as any project's (Glance's registry did).
    const byMembership = caller.projectId !== null && (!caller.isAdmin || query.v1Scope === 'caller');
    const memberImageIds = byMembership ? (await membershipsOf(caller.projectId!)).filter((m) => statuses.includes(m.status)).map((m) => m.imageId) : [];
    return { ...caller, memberImageIds };
  }
}

/**
 * How a test or benchmark looks into one page: the way it is read on FerretDB (the bucket walk with the minute
 * census, the default; the walk querying every minute; one query, the shape MongoDB serves) and, given, a record
 * of the walk's bucket queries with each one's width.
 */
export interface PageProbe {
  way?: 'census' | 'every-minute' | 'one-query';
  /**
   * Bucket queries (one per bucket, whatever the branches), each one's width, given, each one's bucket (key and
   * value: what FerretDB reads is that bucket's rows the branch's equalities match), and the scope's branches read apart.
   */
  walk?: { queries: number; levels: string[]; buckets?: Record<string, number>[]; branches?: number };
  /** The records from which a minute is walked second by second, instead of the rule's (a small test's crowd). */
  crowdedAt?: number;
}

/**
 * The minutes a walk may find records in, newest first: those the census names (asked a few at a time, more as the
 * walk goes deeper), each with its records counted up to `countUpTo`, or without one every minute (not counted).
 */
class NonEmptyMinutes {
  private known: CensusMinute[] = [];
  private exhausted = false;
  private ask = CENSUS_BATCH;
  /** A census read begun before the walk (prefetch): the minutes below `limit`. */
  private ahead: { limit: number; count: number; found: Promise<CensusMinute[] | undefined> } | undefined;

  constructor(
    private census: MinuteCensus | null,
    private readonly countUpTo: number,
  ) {}

  /** Begins reading the minutes below `upper` (ms), the walk's start, while the page does its other reads. */
  prefetch(upper: number): void {
    const limit = Math.ceil(upper / 60_000);
    if (this.census && limit > 0) this.ahead = this.read(limit);
  }

  /**
   * The newest minute (since the epoch) below `upper` (ms) that may hold a record, with its records (counted up to
   * the bound; unknown without the census); undefined if none does.
   */
  async below(upper: number): Promise<{ minute: number; records?: number } | undefined> {
    const limit = Math.ceil(upper / 60_000); // minutes < limit start before upper
    if (limit <= 0) return undefined;
    for (;;) {
      if (!this.census) return { minute: limit - 1 };
      while (this.known.length && this.known[0]!.minute >= limit) this.known.shift();
      if (this.known.length || this.exhausted) return this.known[0];
      const asked = this.ahead && this.ahead.limit >= limit ? this.ahead : this.read(limit);
      this.ahead = undefined;
      const found = await asked.found;
      if (found === undefined) this.census = null; // it cannot tell: every minute may hold rows
      else [this.known, this.exhausted] = [found, found.length < asked.count];
    }
  }

  /** The seconds of `minute` below `upper` (ms) that hold records, newest first; undefined if it cannot tell. */
  async secondsOf(minute: number, upper: number): Promise<number[] | undefined> {
    return this.census?.secondsBelow(Math.min(Math.ceil(upper / 1000), (minute + 1) * 60), minute * 60);
  }

  private read(limit: number) {
    const count = this.ask;
    this.ask = Math.min(this.ask * 2, CENSUS_BATCH_MAX);
    return { limit, count, found: this.census!.minutesBelow(limit, count, this.countUpTo) };
  }
}

/**
 * Where a walk starts (ms): the end of the marker's second (nothing after it in the page's order is newer; a walk
 * through a crowded minute starts there, not at the minute's end), or of the minute a minute past now (clock skew).
 */
function walkStart(marker: Date | undefined): number {
  if (marker) return (Math.floor(marker.getTime() / 1000) + 1) * 1000;
  return (Math.floor((Date.now() + BUCKET_SKEW_MS) / 60_000) + 1) * 60_000;
}

/**
 * The first `limit` of several lists each in the page's order (created_at desc, then id), each image once: what one
 * query over their union returns. Ids compare as their UTF-8 bytes, as the database compares strings.
 */
function merged(lists: ImageDoc[][], query: ImageListQuery, limit: number): ImageDoc[] {
  const idDir = query.sort[1]!.dir === 'asc' ? 1 : -1;
  const seen = new Set<string>();
  return lists
    .flat()
    .filter((d) => !seen.has(d._id) && seen.add(d._id))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || idDir * Buffer.compare(Buffer.from(a._id), Buffer.from(b._id)))
    .slice(0, limit);
}

/** Minutes asked of the census at first, and at most (the ask doubles as a walk goes deeper). */
const CENSUS_BATCH = 4;
const CENSUS_BATCH_MAX = 64;
/** Bucket queries a page may make, and empty days in a row it walks, before it reads the rest in one query. */
const MAX_BUCKET_QUERIES = 64;
const EMPTY_DAYS = 7;
/** Top-level equalities selective enough that one query beats the walk (their companion index finds the rows). */
export const SELECTIVE_KEYS = ['_id', 'name', 'checksum', 'osHashValue'];
/** Buckets with rows (and after) at one width that tell the filter's density. */
const DENSITY_SAMPLE = 2;
/**
 * Empty buckets in a row, at each width, after which the walk moves to the next width: one of those's worth (for
 * seconds, a few: the rest of a crowded minute is then read in one query).
 */
const WIDEN_AFTER_EMPTY = [5, 10, 6, 24];
/** Where the walk starts, and the finest width, in CREATED_BUCKETS. */
const SECOND = 0;
const MINUTE = 1;
/**
 * A minute is crowded, and walked second by second, when it holds at least CROWDED_MINUTE records (4 a second) and
 * CROWDED_FACTOR times what the page still needs: reading it whole would cost several times a page's rows (FerretDB
 * decodes every row a bucket query reads, ~0.14 ms each), while each second walked costs a query (~0.4 ms).
 */
const CROWDED_MINUTE = 240;
const CROWDED_FACTOR = 4;
/** How far ahead of this server's clock another server's created_at may be. */
const BUCKET_SKEW_MS = 60_000;

/** A query's filters reset, to check the marker against the caller's scope only. */
const NO_FILTERS: Partial<ImageListQuery> = {
  name: undefined,
  id: undefined,
  status: undefined,
  containerFormat: undefined,
  diskFormat: undefined,
  owner: undefined,
  store: undefined,
  checksum: undefined,
  osHashValue: undefined,
  minRam: undefined,
  minDisk: undefined,
  protected: undefined,
  tags: [],
  size: undefined,
  sizeMin: undefined,
  sizeMax: undefined,
  createdAt: undefined,
  updatedAt: undefined,
  properties: {},
};
