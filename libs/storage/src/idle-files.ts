import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes the files of `dir` that `match` picks and nobody has written to for `idleMs` (a live writer keeps its
 * file fresh) as of `now`; returns how many. A missing directory has none.
 */
export async function removeIdleFiles(dir: string, idleMs: number, match: (name: string) => boolean = () => true, now = Date.now()): Promise<number> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names.filter(match)) {
    const path = join(dir, name);
    const st = await fs.stat(path).catch(() => null);
    if (st?.isFile() && now - st.mtimeMs >= idleMs) {
      await fs.rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
