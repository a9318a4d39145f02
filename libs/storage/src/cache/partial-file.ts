import type { FileHandle } from 'node:fs/promises';
import type { WriteStream } from 'node:fs';

/** How partial cache files tell a live writer from a dead one. */
export interface WriterTiming {
  /** A partial file untouched for this long has no live writer: a process that wrote it died (or gave up). */
  writerTimeoutMs: number;
  /** A writer that made no progress for this long stops vouching for its file (Glance's image_cache_stall_time). */
  stallMs: number;
}

const CHUNK = 1 << 20;

/**
 * One writer's partial cache file (`incomplete/<image id>.<random>`), open for writing. While its writer lives and
 * makes progress it keeps the file's mtime fresh (a heartbeat, writerTimeoutMs / 4, besides the writes themselves),
 * so a file whose mtime is older than writerTimeoutMs belongs to a writer that was killed, crashed or stalled for
 * the stall time, and may be removed by anyone. The heartbeat stops when the stream closes.
 */
export class PartialFile {
  readonly stream: WriteStream;
  private readonly timer: NodeJS.Timeout;
  private lastBytes = 0;
  private lastProgress = Date.now();

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly timing: WriterTiming,
  ) {
    this.stream = handle.createWriteStream({ highWaterMark: CHUNK, flush: true });
    this.timer = setInterval(() => void this.beat(), Math.max(10, Math.floor(timing.writerTimeoutMs / 4)));
    this.timer.unref();
    this.stream.once('close', () => this.stop());
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    if (this.stream.bytesWritten !== this.lastBytes) {
      this.lastBytes = this.stream.bytesWritten;
      this.lastProgress = now;
    }
    if (now - this.lastProgress >= this.timing.stallMs) return this.stop();
    // Touches the open file, not the path: a file someone removed as dead is not brought back to life.
    await this.handle.utimes(now / 1000, now / 1000).catch(() => undefined);
  }

  /** Ends the heartbeat (before the file is renamed or removed). */
  stop(): void {
    clearInterval(this.timer);
  }
}
