import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { assertTransition, conflict, type Image, type ImageLocation, ImageStatus, notFound, type Visibility } from '@glimpse/domain';
import { AtomicUpdates } from '../atomic-updates.js';
import { findByIds } from '../by-ids.js';
import { DatabaseServer } from '../database-server.js';
import { MinuteCensus } from '../ferretdb/minute-census.js';
import { InsertBatches } from '../insert-batches.js';
import { ImageIdTombstoneRepository } from './image-id-tombstone.repository.js';
import { minuteOf } from './image-keys.js';
import { type ImageChanges, toDoc, toImage, toSet } from './image.mapper.js';
import { ImageDoc } from './image.schema.js';

/** What a sweep needs of a candidate, without reading the whole record. */
export interface SweepCandidate {
  id: string;
  size: number | null;
  visibility: Visibility;
  locations: ImageLocation[];
}

/** The reaper's time limits: deleted records kept until, pending_delete data until, killed records until. */
export interface ReapCutoffs {
  deletedBefore: Date;
  pendingDeleteBefore: Date;
  killedBefore: Date;
}

const CANDIDATE_FIELDS = { _id: 1, size: 1, visibility: 1, locations: 1 } as const;
/** Candidates per page of the auditor's walk in id order. */
const PAGE = 500;

export interface Expectation {
  /** The write happens only if the image is (still) in one of these statuses. */
  status?: ImageStatus | readonly ImageStatus[];
  /** ... and still at this revision (optimistic concurrency for read-modify-write). */
  rev?: number;
}

/** Images in MongoDB. Every write is a conditional update that bumps `rev`. */
@Injectable()
export class ImageRepository {
  /** Creates that come at once go to the database together (one command, one transaction). */
  private readonly inserts: InsertBatches<ImageDoc>;

  constructor(
    @InjectModel(ImageDoc.name) private readonly model: Model<ImageDoc>,
    private readonly atomic: AtomicUpdates,
    private readonly server: DatabaseServer,
    private readonly tombstones: ImageIdTombstoneRepository,
    private readonly census: MinuteCensus,
  ) {
    this.inserts = new InsertBatches<ImageDoc>(this.model.collection as never);
  }

  /**
   * Inserts a new image; 409 when its id is, or ever was, an image's (a record, even a deleted one, or the
   * tombstone a purge left: OSSN-0075). `chosenId`: the client gave the id (only such an id can be a purged one;
   * a fresh random UUID needs no look-up).
   */
  async create(input: Image, { chosenId = false }: { chosenId?: boolean } = {}): Promise<Image> {
    const image = { ...input, createdAt: wholeSeconds(input.createdAt), updatedAt: wholeSeconds(input.updatedAt) };
    const taken = () => conflict(`An image with identifier ${image.id} already exists`);
    if (chosenId && (await this.tombstones.isBuried(image.id))) throw taken();
    try {
      // The driver's insert of the mapped record: toDoc gives every field its stored type and value, so a mongoose
      // document (built, cast and validated field by field: ~2 ms of CPU per create on this machine) adds nothing.
      // Concurrent creates share one insertMany (InsertBatches); a duplicate id fails this create only.
      await this.inserts.insert(toDoc(image));
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw taken();
      throw err;
    }
    // A purge that wrote its tombstone and removed the record between the look-up and the insert: a purge buries
    // before it removes, so an insert that won the id over a removed record sees the tombstone now.
    if (chosenId && (await this.tombstones.isBuried(image.id))) {
      await this.model.deleteOne({ _id: image.id, rev: image.rev }).exec();
      throw taken();
    }
    return image;
  }

  /** One image by id: the driver's findOne (a mongoose query's casting and hooks cost more than the lookup's own CPU). */
  async findById(id: string): Promise<Image | null> {
    const doc = await this.model.collection.findOne<ImageDoc>({ _id: id } as never);
    return doc ? toImage(doc) : null;
  }

  async findByIds(ids: readonly string[]): Promise<Image[]> {
    return (await findByIds<ImageDoc>(this.server, this.model, ids)).map(toImage);
  }

  /**
   * How many images the project holds in `queued`, counted up to `upTo` (the limit being checked: a project far
   * past it costs no more than one at it). Two top-level equalities, which FerretDB pushes down to its indexes.
   */
  async countQueued(owner: string, upTo: number): Promise<number> {
    const docs = await this.model.find({ owner, status: ImageStatus.Queued }).select({ _id: 1 }).limit(upTo).lean().exec();
    return docs.length;
  }

  /** Applies changes if the expectation holds; null when it no longer does (someone else won). */
  async update(id: string, expect: Expectation, changes: ImageChanges): Promise<Image | null> {
    const conditions: Record<string, unknown> = {};
    if (expect.status !== undefined) {
      conditions.status = typeof expect.status === 'string' ? expect.status : { $in: expect.status };
    }
    if (expect.rev !== undefined) conditions.rev = expect.rev;
    const doc = await this.atomic.findOneAndUpdate(this.model, id, conditions, {
      $set: toSet({ ...changes, updatedAt: wholeSeconds(changes.updatedAt ?? new Date()) }),
      $inc: { rev: 1 },
    });
    return doc ? toImage(doc as ImageDoc) : null;
  }

  /**
   * Moves the image from one status to another (checked against the status table) with further changes,
   * atomically; 409 when the image is no longer in `from`.
   */
  async transition(id: string, from: ImageStatus, to: ImageStatus, changes: ImageChanges = {}): Promise<Image> {
    assertTransition(from, to);
    const updated = await this.update(id, { status: from }, { ...changes, status: to });
    if (updated) return updated;
    const current = await this.findById(id);
    if (!current) throw notFound(`No image found with ID ${id}`);
    throw conflict(`Image status transition from ${current.status} to ${to} is not allowed`);
  }

  /**
   * Read-modify-write: `change` computes the changes from the current image (or throws to refuse); a status
   * change is checked against the status table. Writers of one image take turns, and one that another process
   * got ahead of runs again on the fresh image (AtomicUpdates.readModifyWrite): never a 409 for being busy.
   * `known`: the image as the caller just read it (to check access): the first cycle starts from it instead of
   * reading it again; its write is conditional on that revision, so a change in between makes it run again on a
   * fresh read.
   */
  mutate(id: string, change: (image: Image) => ImageChanges | Promise<ImageChanges>, known?: Image): Promise<Image> {
    let seed = known?.id === id ? known : undefined;
    return this.atomic.readModifyWrite(this.model.collection.name, id, async () => {
      const current = seed ?? (await this.findById(id));
      seed = undefined;
      if (!current) throw notFound(`No image found with ID ${id}`);
      const changes = await change(current);
      if (changes.status !== undefined && changes.status !== current.status) assertTransition(current.status, changes.status);
      return this.update(id, { rev: current.rev }, changes);
    });
  }

  /**
   * The images the reaper has something to do for: deleted ones still holding data or past retention,
   * pending_delete ones past scrub time, killed ones past their grace. One query per status, each with its status
   * at the top level (an equality FerretDB pushes down to an index), read through a cursor once. Where the minute
   * census can tell (FerretDB on PostgreSQL), the time limits are not read off every record of the status: a deleted
   * image holding data is found by `holdsData`, and the others only in the minutes up to their cut-off that hold
   * any record of that status (reapMinutes), each minute one query.
   */
  async *streamReapCandidates(cut: ReapCutoffs): AsyncGenerator<SweepCandidate> {
    const limits = [
      { status: ImageStatus.Deleted, key: 'deletedMinute', field: 'deletedAt', before: cut.deletedBefore },
      { status: ImageStatus.PendingDelete, key: 'deletedMinute', field: 'deletedAt', before: cut.pendingDeleteBefore },
      { status: ImageStatus.Killed, key: 'updatedMinute', field: 'updatedAt', before: cut.killedBefore },
    ] as const;
    for (const limit of limits) {
      const { status, field, before } = limit;
      const minutes = await this.reapMinutes(limit);
      if (!minutes) {
        // No census: the time limit is checked on every record of the status (MongoDB serves it from its index).
        const due = { [field]: { $lte: before } };
        yield* this.streamBranches([status === ImageStatus.Deleted ? { status, $or: [{ locations: { $ne: [] } }, due] } : { status, ...due }]);
        continue;
      }
      // The deleted images holding data come first, so the retention branch leaves them out.
      const rest = status === ImageStatus.Deleted ? { holdsData: { $ne: true } } : {};
      if (status === ImageStatus.Deleted) yield* this.streamBranches([{ status, holdsData: true }]);
      for await (const minute of minutes) {
        yield* this.streamBranches([{ status, [limit.key]: minute, [field]: { $lte: before }, ...rest }]);
      }
    }
  }

  /**
   * The minutes up to a limit's cut-off in which its key falls for an image of its status, newest first, read from the
   * census in chunks; undefined when the census cannot tell.
   */
  private async reapMinutes(limit: { status: string; key: string; before: Date }): Promise<AsyncIterable<number> | undefined> {
    const CHUNK = 500;
    const ask = (below: number) => this.census.statusMinutesBelow(limit.status, limit.key, below, CHUNK);
    const first = await ask(minuteOf(limit.before) + 1);
    if (first === undefined) return undefined;
    return (async function* () {
      for (let minutes = first; ; ) {
        yield* minutes;
        if (minutes.length < CHUNK) return;
        const next = await ask(minutes.at(-1)!);
        // Lost midway (PostgreSQL gone): the sweep fails and is retried, as on any database fault.
        if (next === undefined) throw new Error('the minute census stopped answering during the reaper sweep');
        minutes = next;
      }
    })();
  }

  /**
   * The images that may be stuck: importing, saving (or uploading without a size, a stage that died) without a
   * heartbeat since `savingBefore`, or import-locked.
   */
  streamStuck(savingBefore: Date): AsyncIterable<SweepCandidate> {
    const importing = { status: ImageStatus.Importing };
    const saving = { status: ImageStatus.Saving, updatedAt: { $lte: savingBefore } };
    const staging = { status: ImageStatus.Uploading, size: null, updatedAt: { $lte: savingBefore } };
    // The lock branch leaves out what the others found, so each image comes once.
    return this.streamBranches([importing, saving, staging, { importLocked: true, $nor: [importing, saving, staging] }]);
  }

  /** Active images with a bad copy, or of a visibility the replication policy covers (`'all'`: any). */
  streamReplicationCandidates(covered: readonly Visibility[] | 'all'): AsyncIterable<SweepCandidate> {
    const policy = covered === 'all' ? [{}] : covered.length ? [{ visibility: { $in: covered } }] : [];
    return this.streamBranches([{ status: ImageStatus.Active, $or: [{ 'locations.status': 'bad' }, ...policy] }]);
  }

  /**
   * Active images in id order after `after` (up to and including `upTo` when given), a page at a time: the
   * auditor's rotation needs the order, and a page never holds more than PAGE records.
   */
  async *streamActiveById(after: string, upTo?: string): AsyncGenerator<SweepCandidate> {
    for (;;) {
      const page = await this.model
        .find({ status: ImageStatus.Active, $and: [{ _id: { $gt: after } }, ...(upTo === undefined ? [] : [{ _id: { $lte: upTo } }])] })
        .sort({ _id: 1 })
        .limit(PAGE)
        .select(CANDIDATE_FIELDS)
        .lean<ImageDoc[]>()
        .exec();
      for (const doc of page) yield candidateOf(doc);
      if (page.length < PAGE) return;
      after = page.at(-1)!._id;
    }
  }

  private async *streamBranches(branches: Record<string, unknown>[]): AsyncGenerator<SweepCandidate> {
    for (const filter of branches) {
      for await (const doc of this.model.find(filter).select(CANDIDATE_FIELDS).lean<ImageDoc[]>().cursor({ batchSize: PAGE })) {
        yield candidateOf(doc as ImageDoc);
      }
    }
  }

  /** Removes the record for good (the reaper's last step), leaving the id's tombstone first: it is never reused. */
  async purge(id: string): Promise<boolean> {
    await this.tombstones.bury(id);
    const res = await this.model.deleteOne({ _id: id }).exec();
    return res.deletedCount === 1;
  }
}

function candidateOf(doc: Pick<ImageDoc, '_id' | 'size' | 'visibility' | 'locations'>): SweepCandidate {
  return {
    id: doc._id,
    size: doc.size ?? null,
    visibility: doc.visibility as Visibility,
    locations: (doc.locations ?? []).map((l) => ({ url: l.url, store: l.store, metadata: l.metadata ?? {}, status: l.status })),
  };
}

/**
 * Image timestamps are kept to the second, as Glance shows them: a created_at/updated_at filter then means
 * exactly what the client saw in the image's view.
 */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
