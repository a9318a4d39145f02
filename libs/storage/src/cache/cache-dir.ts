import { promises as fs, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { invalid } from '@glimpse/domain';
import { removeIdleFiles } from '../idle-files.js';
import type { ByteRange } from '../store.js';

const CHUNK = 1 << 20;

/**
 * The files of one node's image cache. A complete image is `<dir>/<image id>`; one being written is
 * `<dir>/incomplete/<image id>`, created exclusively (a second writer of the same image on this node finds it
 * and stays out) and renamed into place only once complete and fsynced, so a partial file never takes the
 * name of a complete one. Whether a complete file may be served is decided by the cache records, not here.
 */
export class CacheDir {
  private ready: Promise<void> | null = null;

  constructor(readonly dir: string) {}

  private get incomplete(): string {
    return join(this.dir, 'incomplete');
  }

  private init(): Promise<void> {
    this.ready ??= fs.mkdir(this.incomplete, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  /** A write stream on the image's partial file, or null when another writer has it (the image is being cached). */
  async openPartial(imageId: string): Promise<WriteStream | null> {
    await this.init();
    const handle = await fs.open(this.partialPath(imageId), 'wx').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return null;
      throw err;
    });
    return handle?.createWriteStream({ highWaterMark: CHUNK, flush: true }) ?? null;
  }

  /** True while a partial file of the image exists. */
  async beingWritten(imageId: string): Promise<boolean> {
    return (await fs.stat(this.partialPath(imageId)).catch(() => null)) !== null;
  }

  /** The fsynced partial file becomes the complete one, durably. */
  async commit(imageId: string): Promise<void> {
    await fs.rename(this.partialPath(imageId), this.completePath(imageId));
    const handle = await fs.open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async discardPartial(imageId: string): Promise<void> {
    await fs.rm(this.partialPath(imageId), { force: true });
  }

  /** The complete file's bytes (a range of them), or null when there is no complete file. */
  async read(imageId: string, range?: ByteRange): Promise<{ body: Readable; size: number } | null> {
    const handle = await fs.open(this.completePath(imageId), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (!handle) return null;
    const { size } = await handle.stat();
    return { body: handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: CHUNK }), size };
  }

  async remove(imageId: string): Promise<void> {
    await fs.rm(this.completePath(imageId), { force: true });
  }

  /** The complete files: image id, size, last modified. */
  async complete(): Promise<{ imageId: string; size: number; modifiedMs: number }[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out: { imageId: string; size: number; modifiedMs: number }[] = [];
    for (const name of names) {
      if (!/^[\w-]+$/.test(name) || name === 'incomplete') continue;
      const st = await fs.stat(join(this.dir, name)).catch(() => null);
      if (st?.isFile()) out.push({ imageId: name, size: st.size, modifiedMs: st.mtimeMs });
    }
    return out;
  }

  /** Removes the partial files nobody has written to for `idleMs` (a live writer keeps its file fresh); how many. */
  removeStalledPartials(idleMs: number): Promise<number> {
    return removeIdleFiles(this.incomplete, idleMs);
  }

  private completePath(imageId: string): string {
    return join(this.dir, safeName(imageId));
  }

  private partialPath(imageId: string): string {
    return join(this.incomplete, safeName(imageId));
  }
}

function safeName(imageId: string): string {
  if (!/^[\w-]+$/.test(imageId) || imageId === 'incomplete') throw invalid(`Invalid image id ${imageId}`);
  return imageId;
}
