import { Worker } from 'node:worker_threads';
import type { HashWorkerMessage } from './hash-worker.js';

/** Checksums of one pass over the bytes. */
export interface Digests {
  size: number;
  /** MD5, hex: Glance's `checksum`. */
  md5: string;
  /** `os_hash_algo` and its hex digest, `os_hash_value`. */
  hashAlgo: string;
  hashValue: string;
}

/**
 * Takes the filled slots of the ring while the workers hash them (a store writing them in place): the slots
 * that filled up while earlier calls were busy come in one call (up to SINK_BATCH), and up to SINK_CALLS calls
 * run at once, so round trips to the disk overlap. Calls come in byte order (`offset`: where the first slot's
 * bytes start) but may finish in any order; `done` hands the slots back; the views are valid until then.
 */
export type SlotSink = (slots: Uint8Array[], offset: number, done: (err?: Error | null) => void) => void;

export const SLOT_SIZE = 1 << 20;
const DEFAULT_SLOTS = 16;
/** At most this many slots per sink call, and this many calls at once. */
const SINK_BATCH = 4;
const SINK_CALLS = 3;
/** Idle worker pairs (with their ring) kept for the next hasher: a worker costs tens of milliseconds to start,
 * and a ring's first touch of its fresh pages costs about as much. */
const MAX_IDLE = 4;
const idle: Array<{ workers: Worker[]; ring: SharedArrayBuffer }> = [];

type FromWorker = { type: 'freed'; slot: number } | { type: 'digest'; hex: string };

/**
 * MD5 and a second algorithm computed in parallel by two worker threads, off the main thread. Bytes are
 * copied once into a ring of reused 1 MiB slots in a SharedArrayBuffer; each full slot is announced to both
 * workers (and to the sink, when one is attached), which use it in place and hand it back. When every slot is
 * busy, `update` waits: that wait is the back-pressure the caller passes on to its source.
 */
export class ParallelHasher {
  private readonly ring: SharedArrayBuffer;
  private readonly view: Uint8Array;
  /** Per slot: 0 free, -1 being filled, n > 0 consumers (workers, sink) still using it. */
  private readonly refs: Int8Array;
  private readonly workers: Worker[];
  private current = -1;
  private offset = 0;
  private size = 0;
  private sink: SlotSink | null = null;
  /** Filled slots (index, length) the sink has yet to take, in order; `sinking`: its calls under way. */
  private readonly toSink: Array<[number, number]> = [];
  private sinking = 0;
  private sunk = 0;
  /** The one pending wait (for a free slot, or for the digests), settled by the workers' answers. */
  private waiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  private digests: string[] = [];
  private finished = false;
  private readonly onMessage: Array<(m: FromWorker) => void>;
  private readonly onError = (err: Error) => this.fail(err);

  constructor(
    readonly hashAlgo = 'sha512',
    slots = DEFAULT_SLOTS,
  ) {
    const pooled = slots === DEFAULT_SLOTS ? idle.pop() : undefined;
    this.ring = pooled?.ring ?? alignedRing(slots * SLOT_SIZE);
    this.view = new Uint8Array(this.ring);
    this.refs = new Int8Array(slots);
    this.workers = pooled?.workers ?? [spawn(), spawn()];
    this.onMessage = this.workers.map((_, i) => (m: FromWorker) => this.received(i, m));
    this.workers.forEach((w, i) => {
      w.ref();
      w.on('message', this.onMessage[i]!);
      w.on('error', this.onError);
      w.postMessage({ type: 'start', algorithm: i === 0 ? 'md5' : hashAlgo, sab: this.ring, slotSize: SLOT_SIZE } satisfies HashWorkerMessage);
    });
  }

  /** Bytes taken so far. */
  get bytes(): number {
    return this.size;
  }

  /** From now on every filled slot also goes to `sink` (before the first byte is taken). */
  attach(sink: SlotSink): void {
    if (this.size > 0 || this.sink) throw new Error('A sink is attached before the first byte.');
    this.sink = sink;
  }

  /**
   * Takes the chunk into the ring. Returns undefined when it was taken at once, or a promise that settles when
   * it has been (the ring was full).
   */
  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    let pos = 0;
    while (pos < chunk.length) {
      if (this.current < 0) {
        const slot = this.refs.indexOf(0);
        if (slot < 0) return this.wait().then(() => this.update(chunk.subarray(pos)));
        this.refs[slot] = -1;
        this.current = slot;
        this.offset = 0;
      }
      const n = Math.min(SLOT_SIZE - this.offset, chunk.length - pos);
      this.view.set(pos === 0 && n === chunk.length ? chunk : chunk.subarray(pos, pos + n), this.current * SLOT_SIZE + this.offset);
      this.offset += n;
      pos += n;
      this.size += n;
      if (this.offset === SLOT_SIZE) this.flush();
    }
    return undefined;
  }

  /** Hashes (and sinks) what is left and returns the digests; the workers go back to the pool. */
  async digest(): Promise<Digests> {
    if (this.failure) throw this.failure;
    this.flush();
    for (const w of this.workers) w.postMessage({ type: 'end' } satisfies HashWorkerMessage);
    // Slot hand-backs wake the waiter too; only both digests and an idle sink end the wait.
    while (this.digests.filter(Boolean).length < this.workers.length || this.sinking || this.toSink.length) await this.wait();
    this.release(true);
    return { size: this.size, md5: this.digests[0]!, hashAlgo: this.hashAlgo, hashValue: this.digests[1]! };
  }

  /** Gives up: the workers are stopped (they may still be reading the ring). */
  abort(): void {
    this.release(false);
  }

  private flush(): void {
    if (this.current < 0) return;
    const slot = this.current;
    this.current = -1;
    if (this.offset === 0) {
      this.refs[slot] = 0;
      return;
    }
    this.refs[slot] = this.workers.length + (this.sink ? 1 : 0);
    for (const w of this.workers) w.postMessage({ type: 'slot', slot, length: this.offset } satisfies HashWorkerMessage);
    if (this.sink) {
      this.toSink.push([slot, this.offset]);
      this.feedSink();
    }
  }

  private feedSink(): void {
    while (this.sinking < SINK_CALLS && !this.finished && this.toSink.length) {
      const batch = this.toSink.splice(0, SINK_BATCH);
      const offset = this.sunk;
      const views = batch.map(([slot, length]) => this.view.subarray(slot * SLOT_SIZE, slot * SLOT_SIZE + length));
      for (const view of views) this.sunk += view.length;
      this.sinking++;
      this.sink!(views, offset, (err) => {
        this.sinking--;
        if (err) return this.fail(err);
        for (const [slot] of batch) this.refs[slot]!--;
        this.wake();
        this.feedSink();
      });
    }
  }

  private received(i: number, m: FromWorker): void {
    if (m.type === 'freed') {
      this.refs[m.slot]!--;
      this.wake();
    } else {
      this.digests[i] = m.hex;
      this.wake();
    }
  }

  private wait(): Promise<void> {
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
    this.release(false);
  }

  private release(reusable: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.workers.forEach((w, i) => {
      w.off('message', this.onMessage[i]!);
      w.off('error', this.onError);
    });
    if (reusable && idle.length < MAX_IDLE && this.refs.length === DEFAULT_SLOTS) {
      for (const w of this.workers) w.unref();
      idle.push({ workers: this.workers, ring: this.ring });
    } else {
      for (const w of this.workers) void w.terminate();
    }
  }
}

/**
 * Shared memory whose slots start on page boundaries, so a store may write them with O_DIRECT: a WebAssembly
 * memory's buffer is page-aligned (a plain SharedArrayBuffer comes from malloc and is not); a plain one when
 * WebAssembly is unavailable (--jitless).
 */
function alignedRing(bytes: number): SharedArrayBuffer {
  // (The project's type libraries leave WebAssembly out.)
  type Memory = new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
  const wasm = (globalThis as { WebAssembly?: { Memory: Memory } }).WebAssembly;
  try {
    const pages = Math.ceil(bytes / 65536);
    return new wasm!.Memory({ initial: pages, maximum: pages, shared: true }).buffer;
  } catch {
    return new SharedArrayBuffer(bytes);
  }
}

function spawn(): Worker {
  const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
  worker.on('error', () => undefined); // an idle worker's failure must not crash the process; a busy one reports it
  return worker;
}

/** Stops the idle workers (process shutdown, tests). */
export async function closeIdleHashers(): Promise<void> {
  await Promise.all(idle.splice(0).flatMap((p) => p.workers).map((w) => w.terminate()));
}
