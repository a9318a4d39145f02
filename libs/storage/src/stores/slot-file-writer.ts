import { close, constants, fsync, open, promises as fs, write } from 'node:fs';
import { promisify } from 'node:util';
import type { SlotSink } from '../hashing/parallel-hasher.js';

const openFd = promisify(open);
const closeFd = promisify(close);
const fsyncFd = promisify(fsync);
/** O_DIRECT wants buffer address, file position and length on (logical) block boundaries; a page covers them. */
const ALIGN = 4096;

/**
 * Writes a hashing tap's ring slots straight into a file: one positional write per 1 MiB slot, in order, from
 * the ring itself (no copy, no stream). Whole aligned slots go through an O_DIRECT descriptor, so the page
 * cache neither takes fresh pages for them (expensive on this kind of VM) nor holds gigabytes of dirty data for
 * the final fsync; the unaligned tail, or everything on a file system without O_DIRECT, goes through a buffered
 * one. The file is created (after `ready`) on the first write.
 */
export class SlotFileWriter {
  private direct = -1;
  private buffered = -1;
  private opening: Promise<void> | null = null;
  private position = 0;
  /** The write in progress, if any (a discard waits for it before closing the file). */
  private writing: Promise<void> | null = null;

  constructor(
    private readonly path: string,
    private readonly ready: Promise<unknown>,
  ) {}

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.position;
  }

  readonly sink: SlotSink = (data, done) => {
    if (this.buffered >= 0) return this.writeAll(data, 0, done);
    this.opened().then(
      () => this.writeAll(data, 0, done),
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
    await this.writing?.catch(() => undefined);
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
    const fds = [this.direct, this.buffered].filter((fd) => fd >= 0);
    this.direct = this.buffered = -1;
    await Promise.all(fds.map((fd) => closeFd(fd)));
  }

  private writeAll(data: Uint8Array, from: number, done: (err?: Error | null) => void): void {
    const length = data.length - from;
    const aligned = (data.byteOffset + from) % ALIGN === 0 && this.position % ALIGN === 0 && length % ALIGN === 0;
    const fd = aligned && this.direct >= 0 ? this.direct : this.buffered;
    let settle!: () => void;
    this.writing = new Promise((resolve) => (settle = resolve));
    write(fd, data, from, length, this.position, (err, n) => {
      settle();
      if (err && fd === this.direct && err.code === 'EINVAL') {
        // Refused after all (alignment this device wants beyond a page, or no O_DIRECT writes): buffered from now on.
        const direct = this.direct;
        this.direct = -1;
        close(direct, () => undefined);
        return this.writeAll(data, from, done);
      }
      if (err) return done(err);
      this.position += n;
      if (n < length) return this.writeAll(data, from + n, done);
      this.writing = null;
      done();
    });
  }
}
