import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { invalid } from '@glimpse/domain';
import { FileStore } from './stores/file-store.js';

/**
 * Staged data of glance-direct imports, one file per image in the staging directory (Glance's
 * node_staging_uri). Written like the file store: temporary name, fsync, rename.
 */
export class StagingArea {
  /** The staged files as a store (what the image writer writes a stage into). */
  readonly store: FileStore;

  constructor(readonly dir: string) {
    this.store = new FileStore('os_glance_staging_store', dir);
  }

  path(imageId: string): string {
    if (!/^[\w-]+$/.test(imageId)) throw invalid(`Invalid image id ${imageId}`);
    return join(this.dir, imageId);
  }

  async exists(imageId: string): Promise<boolean> {
    return (await fs.stat(this.path(imageId)).catch(() => null)) !== null;
  }

  async open(imageId: string): Promise<Readable> {
    return (await fs.open(this.path(imageId), 'r')).createReadStream({ highWaterMark: 1 << 20 });
  }

  async remove(imageId: string): Promise<void> {
    await fs.rm(this.path(imageId), { force: true });
  }

  /** Removes partial files crashed writes left that nobody touched for `idleMs`; returns how many. */
  removeStalePartials(idleMs: number, now = Date.now()): Promise<number> {
    return this.store.removeStalePartials(idleMs, now);
  }
}
