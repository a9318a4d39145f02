/**
 * The control block the parallel hasher shares with its workers (an Int32Array over a SharedArrayBuffer): the
 * main thread publishes filled slots in order into a queue, each worker counts the ones it has hashed. A slot
 * published as number `seq` is free again for the workers once every worker's count is above `seq`.
 */
export const Ctrl = {
  /** Slots published so far (the next one's sequence number). */
  Published: 0,
  /** Bumped (and notified) on every publish, end and abort: the word a worker sleeps on. */
  Signal: 1,
  /** 1 once no more slots come. */
  Ended: 2,
  /** 1 when the pass is given up: workers stop without a digest. */
  Aborted: 3,
  /** Per worker i, at Consumed + i: slots hashed so far (notified on each). */
  Consumed: 4,
  /** Per sequence number seq, at Queue + 2 * (seq % slots): the slot's index, then its length. */
  Queue: 8,
} as const;

export const ctrlWords = (slots: number): number => Ctrl.Queue + 2 * slots;

export type HashWorkerMessage = {
  type: 'start';
  algorithm: string;
  index: number;
  ring: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
  slots: number;
  slotSize: number;
};
