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

export const SLOT_SIZE = 1 << 20;
const DEFAULT_SLOTS = 16;
/** Idle worker pairs kept for the next hasher (a worker costs tens of milliseconds to start). */
const MAX_IDLE = 4;
const idle: Worker[][] = [];

type FromWorker = { type: 'freed'; slot: number } | { type: 'digest'; hex: string };

/**
 * MD5 and a second algorithm computed in parallel by two worker threads, off the main thread. Bytes are
 * copied once into a ring of reused 1 MiB slots in a SharedArrayBuffer; each full slot is announced to both
 * workers, which hash it in place and hand it back. When every slot is busy, `update` waits: that wait is the
 * back-pressure the caller passes on to its source.
 */
export class ParallelHasher {
  private readonly ring: SharedArrayBuffer;
  private readonly view: Uint8Array;
  /** Per slot: 0 free, -1 being filled, n > 0 workers still hashing it. */
  private readonly refs: Int8Array;
  private readonly workers: Worker[];
  private current = -1;
  private offset = 0;
  private size = 0;
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
    this.ring = new SharedArrayBuffer(slots * SLOT_SIZE);
    this.view = new Uint8Array(this.ring);
    this.refs = new Int8Array(slots);
    this.workers = idle.pop() ?? [spawn(), spawn()];
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
      this.view.set(chunk.subarray(pos, pos + n), this.current * SLOT_SIZE + this.offset);
      this.offset += n;
      pos += n;
      this.size += n;
      if (this.offset === SLOT_SIZE) this.flush();
    }
    return undefined;
  }

  /** Hashes what is left and returns the digests; the workers go back to the pool. */
  async digest(): Promise<Digests> {
    if (this.failure) throw this.failure;
    this.flush();
    for (const w of this.workers) w.postMessage({ type: 'end' } satisfies HashWorkerMessage);
    // Slot hand-backs wake the waiter too; only both digests end the wait.
    while (this.digests.filter(Boolean).length < this.workers.length) await this.wait();
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
    this.refs[slot] = this.workers.length;
    for (const w of this.workers) w.postMessage({ type: 'slot', slot, length: this.offset } satisfies HashWorkerMessage);
  }

  private received(i: number, m: FromWorker): void {
    if (m.type === 'freed') {
      this.refs[m.slot]!--;
      this.wake();
    } else {
      this.digests[i] = m.hex;
      if (this.digests.filter(Boolean).length === this.workers.length) this.wake();
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
    if (reusable && idle.length < MAX_IDLE) {
      for (const w of this.workers) w.unref();
      idle.push(this.workers);
    } else {
      for (const w of this.workers) void w.terminate();
    }
  }
}

function spawn(): Worker {
  const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
  worker.on('error', () => undefined); // an idle worker's failure must not crash the process; a busy one reports it
  return worker;
}

/** Stops the idle workers (process shutdown, tests). */
export async function closeIdleHashers(): Promise<void> {
  await Promise.all(idle.splice(0).flat().map((w) => w.terminate()));
}
