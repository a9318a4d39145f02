import type { Model } from 'mongoose';

const PAGE = 500;

/**
 * Pages through the documents matching `filter` (their ids, and the `select`ed fields) (keyset on _id, a bounded page at a time, so a
 * million candidates are never held at once) and hands each to `each` (which enqueues a small job). Returns the
 * number of candidates.
 */
export async function fanOut<D extends { _id: string } = { _id: string }>(
  model: Pick<Model<{ _id: string }>, 'find'>,
  filter: Record<string, unknown>,
  signal: AbortSignal,
  each: (id: string, doc: D) => Promise<unknown>,
  /** Fields `each` needs besides the id (only the id by default). */
  select: Record<string, 1> = {},
): Promise<number> {
  let after = '';
  let count = 0;
  for (;;) {
    signal.throwIfAborted();
    const page = await model
      .find({ $and: [filter, { _id: { $gt: after } }] })
      .sort({ _id: 1 })
      .limit(PAGE)
      .select({ ...select, _id: 1 })
      .lean<D[]>()
      .exec();
    for (const doc of page) await each(doc._id, doc);
    count += page.length;
    if (page.length < PAGE) return count;
    after = page.at(-1)!._id;
  }
}

/**
 * The compact form of a tick for per-image job ids (`20261124T101500.000Z`). Milliseconds are kept: two manual
 * runs within one second are two runs, and their jobs must not be taken for the first run's.
 */
export function tickId(tick: string): string {
  return tick.replace(/[-:]/g, '');
}
