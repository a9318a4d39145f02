import { createWriteStream, promises as fs } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { invalid } from '@glimpse/domain';
import type { HashingTap } from '../hashing/hashing-tap.js';
import { removeIdleFiles } from '../idle-files.js';
import { readLocalFile } from '../local-file.js';
import { type ByteRange, LocationNotFound, type PutOptions, type PutResult, type Store } from '../store.js';
import { SlotFileWriter } from './slot-file-writer.js';

const CHUNK = 1 << 20;

/**
 * Image files in one directory, named by image id. A write goes to a hidden temporary name, is fsynced, then
 * renamed: the final name only ever holds a complete file.
 */
export class FileStore implements Store {
  readonly type = 'file' as const;
  readonly readOnly = false;

  constructor(
    readonly id: string,
    readonly dir: string,
    readonly weight = 0,
    readonly description?: string,
  ) {}

  async put(imageId: string, source: Readable, options: PutOptions = {}): Promise<PutResult> {
    const final = join(this.dir, safeName(imageId));
    const temp = this.tempOf(imageId);
    await fs.mkdir(this.dir, { recursive: true });
    let size = 0;
    try {
      // `flush`: the file is fsynced before its descriptor closes, and the pipeline ends only after the close.
      const out = createWriteStream(temp, { flags: 'w', highWaterMark: CHUNK, flush: true });
      await pipeline(source, out, { signal: options.signal });
      size = out.bytesWritten;
      await this.commit(temp, final);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    return { location: pathToFileURL(final).href, size };
  }

  /** A hashing tap's ring slots written in place; it is told before its first byte, so before any await. */
  async putSlots(imageId: string, source: HashingTap, options: PutOptions = {}): Promise<PutResult> {
    const final = join(this.dir, safeName(imageId));
    const temp = this.tempOf(imageId);
    const writer = new SlotFileWriter(temp, fs.mkdir(this.dir, { recursive: true }));
    const sunk = source.sinkSlots(writer.sink);
    const abort = () => source.destroy(options.signal?.reason instanceof Error ? options.signal.reason : new Error('The write was aborted.'));
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      const size = await sunk;
      await writer.finish();
      await this.commit(temp, final);
      return { location: pathToFileURL(final).href, size };
    } catch (err) {
      await writer.discard();
      throw err;
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  }

  /**
   * One writer per image and store at a time (the image's status or import lock guarantees it), so the
   * temporary name is fixed: a retry after a crash overwrites the dead writer's partial file.
   */
  private tempOf(imageId: string): string {
    return join(this.dir, `.${safeName(imageId)}.part`);
  }

  /** The complete, fsynced temporary file takes its final name, durably. */
  private async commit(temp: string, final: string): Promise<void> {
    await fs.rename(temp, final);
    await syncDir(this.dir);
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    const file = await readLocalFile(this.pathOf(location), range);
    if (!file) throw new LocationNotFound(`${location} is gone`);
    return file.body;
  }

  async delete(location: string): Promise<void> {
    await fs.rm(this.pathOf(location), { force: true });
  }

  async stat(location: string): Promise<{ size: number } | null> {
    const st = await fs.stat(this.pathOf(location)).catch(() => null);
    return st?.isFile() ? { size: st.size } : null;
  }

  removeStalePartials(idleMs: number, now = Date.now()): Promise<number> {
    return removeIdleFiles(this.dir, idleMs, (n) => n.startsWith('.') && n.endsWith('.part'), now);
  }

  async *listObjects(): AsyncIterable<{ location: string; imageId: string; modifiedMs: number }> {
    const dir = await fs.opendir(this.dir).catch(() => null);
    if (!dir) return;
    for await (const entry of dir) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue;
      const path = join(this.dir, entry.name);
      const st = await fs.stat(path).catch(() => null);
      if (st) yield { location: pathToFileURL(path).href, imageId: entry.name, modifiedMs: st.mtimeMs };
    }
  }

  properties(): Record<string, unknown> {
    return { datadir: this.dir };
  }

  /** The file a location names; a location outside this store's directory is refused. */
  private pathOf(location: string): string {
    let path: string;
    try {
      path = resolve(fileURLToPath(location));
    } catch {
      throw invalid(`Invalid location for store ${this.id}: ${location}`);
    }
    if (!path.startsWith(resolve(this.dir) + sep)) throw invalid(`Location ${location} is outside store ${this.id}`);
    return path;
  }
}

function safeName(imageId: string): string {
  if (!/^[\w-]+$/.test(imageId)) throw invalid(`Invalid image id ${imageId}`);
  return imageId;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
