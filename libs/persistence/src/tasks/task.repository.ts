import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { assertTaskTransition, CLOCK, type Clock, conflict, notFound, type Task, TASK_TIME_TO_LIVE_MS, type TaskStatus } from '@glimpse/domain';
import { AtomicUpdates } from '../atomic-updates.js';
import { TaskDoc } from './task.schema.js';

function toTask(doc: TaskDoc): Task {
  const { _id, ...rest } = doc;
  return { ...rest, id: _id, type: doc.type as Task['type'], status: doc.status as TaskStatus };
}

export interface TaskListQuery {
  owner?: string | null;
  status?: TaskStatus;
  type?: string;
  sortKey: 'created_at' | 'updated_at' | 'id' | 'type' | 'status';
  sortDir: 1 | -1;
  limit: number;
  marker?: Task;
}

const SORT_FIELD = { created_at: 'createdAt', updated_at: 'updatedAt', id: '_id', type: 'type', status: 'status' } as const;

/** Task records; status changes are conditional on the old status. */
@Injectable()
export class TaskRepository {
  constructor(
    @InjectModel(TaskDoc.name) private readonly model: Model<TaskDoc>,
    private readonly atomic: AtomicUpdates,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(task: Task): Promise<Task> {
    const { id, ...rest } = task;
    await this.model.create({ _id: id, ...rest });
    return task;
  }

  async findById(id: string): Promise<Task | null> {
    const doc = await this.model.findById(id).lean<TaskDoc>().exec();
    return doc && !this.expired(doc) ? toTask(doc) : null;
  }

  /** The image's unexpired tasks, newest first; when `visibleTo` is given, only its own and ownerless ones. */
  async forImage(imageId: string, visibleTo?: string | null): Promise<Task[]> {
    const filter = visibleTo === undefined ? { imageId } : { imageId, owner: { $in: [visibleTo, null] } };
    const docs = await this.model.find(filter).sort({ createdAt: -1, _id: -1 }).lean<TaskDoc[]>().exec();
    return docs.filter((d) => !this.expired(d)).map(toTask);
  }

  async list(q: TaskListQuery): Promise<Task[]> {
    const field = SORT_FIELD[q.sortKey];
    const filter: Record<string, unknown> = { $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date(this.clock.now()) } }] };
    if (q.owner !== undefined) filter.owner = q.owner;
    if (q.status) filter.status = q.status;
    if (q.type) filter.type = q.type;
    if (q.marker) {
      const op = q.sortDir === -1 ? '$lt' : '$gt';
      const markerValue = field === '_id' ? q.marker.id : (q.marker as unknown as Record<string, unknown>)[field];
      filter.$and = [
        {
          $or: [
            { [field]: { [op]: markerValue } },
            ...(field === '_id' ? [] : [{ [field]: markerValue, _id: { [op]: q.marker.id } }]),
          ],
        },
      ];
    }
    const sort: Record<string, 1 | -1> = { [field]: q.sortDir };
    if (field !== '_id') sort._id = q.sortDir;
    const docs = await this.model.find(filter).sort(sort).limit(q.limit).lean<TaskDoc[]>().exec();
    return docs.map(toTask);
  }

  /** Moves a task along pending → processing → success | failure; finished tasks get an expiry. */
  async transition(id: string, from: TaskStatus, to: TaskStatus, changes: Partial<Pick<Task, 'message' | 'result'>> = {}): Promise<Task> {
    assertTaskTransition(from, to);
    const now = new Date();
    const finished = to === 'success' || to === 'failure';
    const doc = await this.atomic.findOneAndUpdate(this.model, id, { status: from }, {
      $set: { ...changes, status: to, updatedAt: now, ...(finished ? { expiresAt: new Date(now.getTime() + TASK_TIME_TO_LIVE_MS) } : {}) },
    });
    if (doc) return toTask(doc as TaskDoc);
    const current = await this.model.findById(id).lean<TaskDoc>().exec();
    if (!current) throw notFound(`Task ${id} not found`);
    throw conflict(`Task status transition from ${current.status} to ${to} is not allowed`);
  }

  /** Records progress of a running task (bytes done / total) and a human message. */
  async progress(id: string, bytesDone: number, bytesTotal: number | null, message: string): Promise<void> {
    await this.atomic.findOneAndUpdate(this.model, id, { status: 'processing' }, {
      $set: { bytesDone, bytesTotal, message, updatedAt: new Date() },
    });
  }

  /**
   * Records on a running task what it is about to make of its image (an import's outcome, written just before
   * the image shows it), so a run that dies between the two can be closed by the next one.
   */
  async noteOutcome(id: string, outcome: Record<string, unknown>): Promise<void> {
    await this.atomic.findOneAndUpdate(this.model, id, { status: 'processing' }, { $set: { outcome, updatedAt: new Date() } });
  }

  /**
   * Keeps a task that waits its turn alive (its import lock's takeover reads `updatedAt`) and says why it waits;
   * a task that has ended is left alone.
   */
  async waiting(id: string, message: string): Promise<void> {
    await this.atomic.findOneAndUpdate(this.model, id, { status: { $in: ['pending', 'processing'] } }, { $set: { message, updatedAt: new Date() } });
  }

  /** Removes a task that never started (its import was refused after the record was made). */
  async remove(id: string): Promise<void> {
    await this.model.deleteOne({ _id: id, status: 'pending' }).exec();
  }

  private expired(doc: TaskDoc): boolean {
    return doc.expiresAt !== null && doc.expiresAt !== undefined && doc.expiresAt.getTime() <= this.clock.now();
  }
}
