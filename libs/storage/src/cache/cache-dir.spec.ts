import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { CacheDir } from './cache-dir.js';
import type { PartialFile } from './partial-file.js';

const ID = '6f1c2d3e-0000-4000-8000-000000000001';

describe('CacheDir partial files', () => {
  const root = mkdtempSync(join(tmpdir(), 'glimpse-cache-dir-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = (writerTimeoutMs = 400, stallMs = 3600_000) => {
    const dir = join(root, `c${n++}`);
    return { dir, files: new CacheDir(dir, { writerTimeoutMs, stallMs }) };
  };
  const close = async (p: PartialFile) => {
    p.stream.end();
    await once(p.stream, 'close');
  };
  const backdate = (path: string, ms: number) => utimesSync(path, new Date(Date.now() - ms), new Date(Date.now() - ms));

  it('lets one of many concurrent writers of an image on one node have it', async () => {
    for (let round = 0; round < 25; round++) {
      const { dir, files } = fresh(60_000);
      const opened = await Promise.all(Array.from({ length: 6 }, () => files.openPartial(ID)));
      const writers = opened.filter((p): p is PartialFile => p !== null);
      assert.ok(writers.length <= 1, `${writers.length} writers in round ${round}`);
      assert.equal(readdirSync(join(dir, 'incomplete')).length, writers.length);
      for (const w of writers) await files.discard(w);
    }
  });

  it('keeps a live writer\'s file fresh past the writer timeout, so a second writer stays out and the cleaner leaves it', async () => {
    const { dir, files } = fresh(2000);
    const first = (await files.openPartial(ID))!;
    first.stream.write(Buffer.alloc(1000, 1));
    await sleep(5000); // two and a half writer timeouts with no write: only the heartbeat keeps it fresh
    assert.equal(await files.beingWritten(ID), true);
    assert.equal(await files.openPartial(ID), null);
    assert.equal(await files.removeDeadPartials(), 0);
    first.stream.write(Buffer.alloc(1000, 2));
    await close(first);
    await files.commit(first, ID);
    assert.deepEqual(readdirSync(join(dir, 'incomplete')), []);
    assert.equal(readFileSync(join(dir, ID)).length, 2000);
  });

  it('replaces a dead writer\'s partial file (no heartbeat for the writer timeout), never one of a live writer', async () => {
    const { dir, files } = fresh(2000);
    const incomplete = join(dir, 'incomplete');
    mkdirSync(incomplete, { recursive: true });
    // Left by killed processes: one per-writer file and one of the old single-writer name.
    const dead = [join(incomplete, `${ID}.0123456789abcdef`), join(incomplete, ID)];
    for (const path of dead) {
      writeFileSync(path, 'half');
      backdate(path, 10_000);
    }
    assert.equal(await files.beingWritten(ID), false);
    const next = (await files.openPartial(ID))!;
    assert.ok(next);
    for (const path of dead) assert.equal(existsSync(path), false, path);
    assert.deepEqual(readdirSync(incomplete), [next.path.slice(incomplete.length + 1)]);
    await close(next);
    await files.discard(next);
  });

  it('stops vouching for a writer stalled for the stall time: the cleaner removes its file and its commit fails', async () => {
    const { dir, files } = fresh(200, 400);
    const stalled = (await files.openPartial(ID))!;
    stalled.stream.write(Buffer.alloc(10));
    let removed = 0;
    for (let i = 0; i < 300 && !removed; i++) {
      await sleep(100);
      removed = await files.removeDeadPartials();
    }
    assert.equal(removed, 1);
    assert.equal(await files.beingWritten(ID), false);
    await close(stalled);
    await assert.rejects(files.commit(stalled, ID), /ENOENT/);
    assert.equal(existsSync(join(dir, ID)), false);
  });

  it('never lists a partial file as complete', async () => {
    const { dir, files } = fresh(60_000);
    const partial = (await files.openPartial(ID))!;
    partial.stream.write(Buffer.alloc(10));
    assert.deepEqual(await files.complete(), []);
    assert.equal(await files.read(ID), null);
    await close(partial);
    assert.ok(statSync(partial.path).isFile());
    await files.commit(partial, ID);
    assert.deepEqual((await files.complete()).map((f) => f.imageId), [ID]);
    assert.ok(existsSync(join(dir, ID)));
  });
});
