import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { invalid } from '@glimpse/domain';
import { removeIdleFiles } from '../idle-files.js';
import { readLocalFile } from '../local-file.js';
import type { ByteRange } from '../store.js';
import { PartialFile, type WriterTiming } from './partial-file.js';

/**
 * The files of one node's image cache. A complete image is `<dir>/<image id>`; one being written is
 * `<dir>/incomplete/<image id>.<random>`, one file per writer, kept fresh by its writer's heartbeat (PartialFile):
 * a partial file older than the writer timeout is a dead writer's, and the next writer of the image removes it
 * instead of waiting for the cleaner. A writer claims an image by creating its file and then looking at the
 * image's other partial files: if a live one is there, it withdraws. Of two writers racing, at least the later
 * one sees the other's file, so at most one goes on (both may withdraw). The partial file is renamed into place
 * only once complete and fsynced, so a partial file never takes the name of a complete one. Whether a complete
 * file may be served is decided by the cache records, not here.
 */
export class CacheDir {
  private ready: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    private readonly timing: WriterTiming,
  ) {}

  private get incomplete(): string {
    return join(this.dir, 'incomplete');
  }

  private init(): Promise<void> {
    this.ready ??= fs.mkdir(this.incomplete, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  /** A partial file of the image for this writer, or null when a live writer has one (the image is being cached). */
  async openPartial(imageId: string): Promise<PartialFile | null> {
    await this.init();
    const name = `${safeName(imageId)}.${randomBytes(8).toString('hex')}`;
    const path = join(this.incomplete, name);
    const handle = await fs.open(path, 'wx');
    try {
      for (const other of await this.partialsOf(imageId)) {
        if (other === name) continue;
        if (await this.isLive(other)) {
          await handle.close();
          await fs.rm(path, { force: true });
          return null;
        }
        await fs.rm(join(this.incomplete, other), { force: true });
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(path, { force: true });
      throw err;
    }
    return new PartialFile(path, handle, this.timing);
  }

  /** True while a live writer has a partial file of the image. */
  async beingWritten(imageId: string): Promise<boolean> {
    for (const name of await this.partialsOf(imageId)) if (await this.isLive(name)) return true;
    return false;
  }

  /**
   * The fsynced partial file becomes the complete one, durably. Fails (ENOENT) when the file was removed as a
   * dead writer's meanwhile: then another writer may have the image.
   */
  async commit(partial: PartialFile, imageId: string): Promise<void> {
    partial.stop();
    await fs.rename(partial.path, this.completePath(imageId));
    const handle = await fs.open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async discard(partial: PartialFile): Promise<void> {
    partial.stop();
    await fs.rm(partial.path, { force: true });
  }

  /** The complete file's bytes (a range of them), or null when there is no complete file. */
  read(imageId: string, range?: ByteRange): Promise<{ body: Readable; size: number } | null> {
    return readLocalFile(this.completePath(imageId), range);
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

  /**
   * Removes the partial files of dead writers (untouched for the writer timeout: a live writer's heartbeat keeps
   * its file fresh until it stalls for the stall time); how many.
   */
  removeDeadPartials(): Promise<number> {
    return removeIdleFiles(this.incomplete, this.timing.writerTimeoutMs);
  }

  /** The names in incomplete/ of the image's partial files (`<id>.<random>`; `<id>` from before per-writer files). */
  private async partialsOf(imageId: string): Promise<string[]> {
    const id = safeName(imageId);
    const names = await fs.readdir(this.incomplete).catch(() => [] as string[]);
    return names.filter((n) => n === id || n.startsWith(`${id}.`));
  }

  /** Whether the partial file was touched within the writer timeout (a missing one is not live). */
  private async isLive(name: string): Promise<boolean> {
    const st = await fs.stat(join(this.incomplete, name)).catch(() => null);
    return st !== null && Date.now() - st.mtimeMs < this.timing.writerTimeoutMs;
  }

  private completePath(imageId: string): string {
    return join(this.dir, safeName(imageId));
  }

}

function safeName(imageId: string): string {
  if (!/^[\w-]+$/.test(imageId) || imageId === 'incomplete') throw invalid(`Invalid image id ${imageId}`);
  return imageId;
}
