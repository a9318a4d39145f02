import { Worker } from 'node:worker_threads';
import { Ctrl, ctrlWords, type HashWorkerMessage } from './ring-control.js';

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
/** A full ring takes bytes again once this many slots are free: the source is paused and resumed once per
 * few MiB rather than once per slot. */
const LOW_WATER = 4;
/** Idle worker pairs (with their ring) kept for the next hasher: a worker costs tens of milliseconds to start,
 * and a ring's first touch of its fresh pages costs about as much. */
const MAX_IDLE = 4;
const idle: Array<{ workers: Worker[]; ring: SharedArrayBuffer }> = [];

type FromWorker = { type: 'digest'; hex: string };

/** Atomics.waitAsync (ES2024; Node has it, the project's type libraries stop at ES2023). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/**
 * MD5 and a second algorithm computed in parallel by two worker threads, off the main thread. Bytes are
 * copied once into a ring of reused 1 MiB slots in a SharedArrayBuffer; each full slot is published to both
 * workers through a shared control block (ring-control.ts: no message per slot) and handed to the sink, when
 * one is attached; the workers hash it in place. When the ring is full, `update` waits until a few slots are
 * free again: that wait is the back-pressure the caller passes on to its source.
 */
export class ParallelHasher {
  private readonly ring: SharedArrayBuffer;
  /** The ring as a Buffer: Buffer#fill copies into it with a plain memcpy (see update). */
  private readonly view: Buffer;
  private readonly slots: number;
  private readonly ctrl: Int32Array;
  /** Per slot: the sequence number it was last published under (-1: never). */
  private readonly seqOf: Int32Array;
  /** Per slot: 1 while the sink still writes it. */
  private readonly sinkHeld: Uint8Array;
  private readonly workers: Worker[];
  private published = 0;
  private current = -1;
  private offset = 0;
  private size = 0;
  private sink: SlotSink | null = null;
  /** Filled slots (index, length) the sink has yet to take, in order; `sinking`: its calls under way. */
  private readonly toSink: Array<[number, number]> = [];
  private sinking = 0;
  private sunk = 0;
  /** The one pending wait (for free slots, or for the digests), settled by whatever may have changed. */
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
    this.slots = slots;
    this.ring = pooled?.ring ?? alignedRing(slots * SLOT_SIZE);
    this.view = Buffer.from(this.ring);
    this.ctrl = new Int32Array(new SharedArrayBuffer(ctrlWords(slots) * 4));
    this.seqOf = new Int32Array(slots).fill(-1);
    this.sinkHeld = new Uint8Array(slots);
    this.workers = pooled?.workers ?? [spawn(), spawn()];
    this.onMessage = this.workers.map((_, i) => (m: FromWorker) => this.received(i, m));
    this.workers.forEach((w, i) => {
      w.ref();
      w.on('message', this.onMessage[i]!);
      w.on('error', this.onError);
      const start: HashWorkerMessage = {
        type: 'start', algorithm: i === 0 ? 'md5' : hashAlgo, index: i, ring: this.ring, ctrl: this.ctrl.buffer as SharedArrayBuffer, slots, slotSize: SLOT_SIZE,
      };
      w.postMessage(start);
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
        const slot = this.freeSlot();
        if (slot < 0) return this.room().then(() => this.update(chunk.subarray(pos)));
        this.current = slot;
        this.offset = 0;
      }
      const n = Math.min(SLOT_SIZE - this.offset, chunk.length - pos);
      // Buffer#fill with a source of exactly the target's length is a plain memcpy; TypedArray#set into shared
      // memory is V8's relaxed (word by word) copy, measured at several times the cost on this path.
      const at = this.current * SLOT_SIZE + this.offset;
      this.view.fill(pos === 0 && n === chunk.length ? chunk : chunk.subarray(pos, pos + n), at, at + n);
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
    this.signal(Ctrl.Ended);
    while (this.digests.filter(Boolean).length < this.workers.length || this.sinking || this.toSink.length) await this.change();
    this.release(true);
    return { size: this.size, md5: this.digests[0]!, hashAlgo: this.hashAlgo, hashValue: this.digests[1]! };
  }

  /** Gives up: the workers are stopped (they may still be reading the ring); a pending and any later call fail. */
  abort(): void {
    this.fail(new Error('The hashing was aborted.'));
  }

  /** A slot no one uses, or -1. */
  private freeSlot(): number {
    const hashed = this.hashedByAll();
    for (let s = 0; s < this.slots; s++) if (this.isFree(s, hashed)) return s;
    return -1;
  }

  private freeCount(): number {
    const hashed = this.hashedByAll();
    let n = 0;
    for (let s = 0; s < this.slots; s++) if (this.isFree(s, hashed)) n++;
    return n;
  }

  /** Slot `s` is not being filled, not being sunk, and every worker has hashed it (`hashed`: hashedByAll()). */
  private isFree(s: number, hashed: number): boolean {
    return s !== this.current && !this.sinkHeld[s] && this.seqOf[s]! < hashed;
  }

  /** Slots every worker has hashed (sequence numbers below this are done). */
  private hashedByAll(): number {
    let min = this.published;
    for (let i = 0; i < this.workers.length; i++) min = Math.min(min, Atomics.load(this.ctrl, Ctrl.Consumed + i));
    return min;
  }

  /** Resolves once LOW_WATER slots are free (or every slot, with a smaller ring). */
  private async room(): Promise<void> {
    const want = Math.min(LOW_WATER, this.slots);
    while (this.freeCount() < want) await this.change();
  }

  private flush(): void {
    if (this.current < 0) return;
    const slot = this.current;
    this.current = -1;
    if (this.offset === 0) return;
    const seq = this.published++;
    const entry = Ctrl.Queue + 2 * (seq % this.slots);
    this.ctrl[entry] = slot;
    this.ctrl[entry + 1] = this.offset;
    this.seqOf[slot] = seq;
    // The store below publishes the entry and the slot's bytes (written before it) to the workers.
    Atomics.store(this.ctrl, Ctrl.Published, this.published);
    this.signal();
    if (this.sink) {
      this.sinkHeld[slot] = 1;
      this.toSink.push([slot, this.offset]);
      this.feedSink();
    }
  }

  /** Sets a flag word (if given) and wakes the workers. */
  private signal(flag?: number): void {
    if (flag !== undefined) Atomics.store(this.ctrl, flag, 1);
    Atomics.add(this.ctrl, Ctrl.Signal, 1);
    Atomics.notify(this.ctrl, Ctrl.Signal);
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
        for (const [slot] of batch) this.sinkHeld[slot] = 0;
        this.wake();
        this.feedSink();
      });
    }
  }

  private received(i: number, m: FromWorker): void {
    this.digests[i] = m.hex;
    this.wake();
  }

  /**
   * Settles on the next thing that may free a slot or end the pass: the slowest worker hashing a slot (its
   * count is waited on with Atomics.waitAsync), a sink write done, a digest, a failure. It may settle early;
   * callers check again.
   */
  private change(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      let slowest = 0;
      for (let i = 1; i < this.workers.length; i++) if (Atomics.load(this.ctrl, Ctrl.Consumed + i) < Atomics.load(this.ctrl, Ctrl.Consumed + slowest)) slowest = i;
      const count = Atomics.load(this.ctrl, Ctrl.Consumed + slowest);
      if (count >= this.published) return; // nothing left to hash: only a message or the sink can change things
      const waited = waitAsync(this.ctrl, Ctrl.Consumed + slowest, count);
      if (waited.async) void waited.value.then(() => this.wake());
      else this.wake();
    });
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
    if (reusable && idle.length < MAX_IDLE && this.slots === DEFAULT_SLOTS) {
      for (const w of this.workers) w.unref();
      idle.push({ workers: this.workers, ring: this.ring });
    } else {
      // Out of their loop first (they may sleep in Atomics.wait), then gone.
      this.signal(Ctrl.Aborted);
      for (const w of this.workers) void w.terminate();
    }
    // A waitAsync still pending on a count that will not move again would hold this hasher (and its ring).
    for (let i = 0; i < this.workers.length; i++) Atomics.notify(this.ctrl, Ctrl.Consumed + i);
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
