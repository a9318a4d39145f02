import { close, constants, fsync, open, promises as fs, writev } from 'node:fs';
import { promisify } from 'node:util';
import type { SlotSink } from '../hashing/parallel-hasher.js';

const openFd = promisify(open);
const closeFd = promisify(close);
const fsyncFd = promisify(fsync);
/** O_DIRECT wants buffer address, file position and length on (logical) block boundaries; a page covers them. */
const ALIGN = 4096;

/**
 * Writes a hashing tap's ring slots straight into a file, in order, from the ring itself (no copy, no stream):
 * the slots filled during earlier writes go together in the next, and a few writes run at once. Whole aligned slots go through an O_DIRECT descriptor, so the page
 * cache neither takes fresh pages for them (expensive on this kind of VM) nor holds gigabytes of dirty data for
 * the final fsync; the unaligned tail, or everything on a file system without O_DIRECT, goes through a buffered
 * one. The file is created (after `ready`) on the first write.
 */
export class SlotFileWriter {
  private direct = -1;
  private buffered = -1;
  /** An O_DIRECT descriptor given up on while writes may still use it: closed with the others. */
  private retired = -1;
  private opening: Promise<void> | null = null;
  /** The writes under way (a discard waits for them before closing the file). */
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly path: string,
    private readonly ready: Promise<unknown>,
  ) {}

  readonly sink: SlotSink = (slots, offset, done) => {
    if (this.buffered >= 0) return this.writeSlots(slots, offset, done);
    this.opened().then(
      () => this.writeSlots(slots, offset, done),
      (err: Error) => done(err),
    );
  };

  /** fsync (one covers the file, whichever descriptor wrote it) and close: the bytes are on disk. */
  async finish(): Promise<void> {
    await this.opened();
    try {
      await fsyncFd(this.buffered);
    } finally {
      await this.closeAll();
    }
  }

  /** Closes (once a write in progress is over) and removes the file. */
  async discard(): Promise<void> {
    await this.opening?.catch(() => undefined);
    await Promise.all(this.writing);
    await this.closeAll().catch(() => undefined);
    await fs.rm(this.path, { force: true });
  }

  private opened(): Promise<void> {
    return (this.opening ??= this.ready.then(async () => {
      const O_DIRECT = constants.O_DIRECT;
      if (O_DIRECT) {
        // EINVAL: this file system has no O_DIRECT (tmpfs); everything then goes through the page cache.
        this.direct = await openFd(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | O_DIRECT, 0o666).catch(() => -1);
      }
      this.buffered = await openFd(this.path, this.direct >= 0 ? constants.O_WRONLY : 'w', 0o666);
    }));
  }

  private async closeAll(): Promise<void> {
    const fds = [this.direct, this.buffered, this.retired].filter((fd) => fd >= 0);
    this.direct = this.buffered = this.retired = -1;
    await Promise.all(fds.map((fd) => closeFd(fd)));
  }

  /** The slots from `position` on: each run of aligned ones in one O_DIRECT writev, anything else through the page cache. */
  private writeSlots(slots: Uint8Array[], position: number, done: (err?: Error | null) => void): void {
    if (!slots.length) return done();
    let run = 0;
    for (let at = position; this.direct >= 0 && run < slots.length && aligned(slots[run]!, at); run++) at += slots[run]!.length;
    const fd = run > 0 ? this.direct : this.buffered;
    let settle!: () => void;
    const writing = new Promise<void>((resolve) => (settle = resolve));
    this.writing.add(writing);
    writev(fd, run > 0 ? slots.slice(0, run) : slots.slice(0, 1), position, (err, written) => {
      this.writing.delete(writing);
      settle();
      if (err && fd === this.direct && err.code === 'EINVAL') {
        // Refused after all (alignment this device wants beyond a page, or no O_DIRECT writes): buffered from now on.
        this.retired = this.direct;
        this.direct = -1;
      }
      if (err && err.code === 'EINVAL' && fd !== this.buffered) return this.writeSlots(slots, position, done);
      if (err) return done(err);
      this.writeSlots(after(slots, written), position + written, done);
    });
  }
}

const aligned = (view: Uint8Array, position: number): boolean =>
  view.byteOffset % ALIGN === 0 && view.length % ALIGN === 0 && position % ALIGN === 0;

/** What is left of `slots` once their first `bytes` are written. */
function after(slots: Uint8Array[], bytes: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const view of slots) {
    if (bytes >= view.length) bytes -= view.length;
    else {
      rest.push(bytes ? view.subarray(bytes) : view);
      bytes = 0;
    }
  }
  return rest;
}
