import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { GlimpseError } from '@glimpse/domain';
import { FileStore } from '../stores/file-store.js';
import { HashingTap } from './hashing-tap.js';
import { closeIdleHashers, SLOT_SIZE } from './parallel-hasher.js';

const hex = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

function* pieces(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Collects what passes, slowly enough now and then that the ring fills and the tap has to wait for it. */
function collector(out: Buffer[]): Writable {
  let n = 0;
  return new Writable({
    highWaterMark: SLOT_SIZE,
    write(chunk: Buffer, _e, cb) {
      out.push(chunk);
      if (++n % 97 === 0) setTimeout(cb, 2);
      else cb();
    },
  });
}

describe('HashingTap', () => {
  after(closeIdleHashers);

  it('passes every byte through in order while hashing them, also when the ring is full (48 MiB, 64 KiB chunks)', async () => {
    const data = randomBytes(48 * SLOT_SIZE + 12345);
    const tap = new HashingTap({ hashAlgo: 'sha512' });
    const out: Buffer[] = [];
    await pipeline(Readable.from(pieces(data, 65536)), tap, collector(out));
    assert.ok(Buffer.concat(out).equals(data));
    assert.deepEqual(await tap.digest(), { size: data.length, md5: hex('md5', data), hashAlgo: 'sha512', hashValue: hex('sha512', data) });
  });

  it('fails with a 413 before the first byte over the limit passes', async () => {
    const data = randomBytes(3 * SLOT_SIZE);
    const tap = new HashingTap({ limit: 2 * SLOT_SIZE + 10 });
    const out: Buffer[] = [];
    await assert.rejects(pipeline(Readable.from(pieces(data, 65536)), tap, collector(out)), (err) => err instanceof GlimpseError && err.kind === 'too-large');
    assert.ok(Buffer.concat(out).length <= 2 * SLOT_SIZE + 10);
  });

  it('admits each chunk before hashing it, waiting for a slow admission; a refused one fails the stream', async () => {
    const data = randomBytes(4 * SLOT_SIZE);
    let admitted = 0;
    const tap = new HashingTap({
      admit: (chunk) => {
        admitted += chunk.length;
        return admitted % (4 * 65536) === 0 ? new Promise((r) => setTimeout(r, 1)) : undefined;
      },
    });
    const out: Buffer[] = [];
    await pipeline(Readable.from(pieces(data, 65536)), tap, collector(out));
    assert.equal(admitted, data.length);
    assert.ok(Buffer.concat(out).equals(data));
    assert.equal((await tap.digest()).md5, hex('md5', data));
    const refused = new HashingTap({ admit: () => Promise.reject(new Error('no room')) });
    await assert.rejects(pipeline(Readable.from(pieces(data, 65536)), refused, collector([])), /no room/);
  });

  it('lets a file store write the ring slots in place: same bytes and digests, unaligned tail included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glimpse-tap-'));
    try {
      const store = new FileStore('local', dir);
      for (const size of [0, 100, 20 * SLOT_SIZE, 20 * SLOT_SIZE + 4097]) {
        const data = randomBytes(size);
        const tap = new HashingTap({ hashAlgo: 'sha512' });
        Readable.from(pieces(data, 65536 + 13)).pipe(tap);
        const put = await store.putSlots(`img${size}`, tap);
        assert.equal(put.size, size);
        assert.ok(readFileSync(join(dir, `img${size}`)).equals(data));
        assert.deepEqual(await tap.digest(), { size, md5: hex('md5', data), hashAlgo: 'sha512', hashValue: hex('sha512', data) });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves nothing in the file store when the slot source fails (413 mid-way)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glimpse-tap-'));
    try {
      const tap = new HashingTap({ limit: 5 * SLOT_SIZE });
      Readable.from(pieces(randomBytes(8 * SLOT_SIZE), 65536)).pipe(tap);
      await assert.rejects(new FileStore('local', dir).putSlots('img', tap), (err) => err instanceof GlimpseError && err.kind === 'too-large');
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drinks a source straight into the slots a file store sinks, and keeps nothing when the source fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glimpse-tap-'));
    try {
      const store = new FileStore('local', dir);
      const data = randomBytes(20 * SLOT_SIZE + 777);
      const tap = new HashingTap({ hashAlgo: 'sha512' });
      const put = store.putSlots('img', tap);
      assert.ok(tap.sinking);
      tap.drink(Readable.from(pieces(data, 65536), { objectMode: false }));
      assert.equal((await put).size, data.length);
      assert.ok(readFileSync(join(dir, 'img')).equals(data));
      assert.deepEqual(await tap.digest(), { size: data.length, md5: hex('md5', data), hashAlgo: 'sha512', hashValue: hex('sha512', data) });

      async function* broken(): AsyncGenerator<Buffer> {
        yield* pieces(data.subarray(0, 5 * SLOT_SIZE), 65536);
        throw new Error('source gone');
      }
      const failing = new HashingTap();
      const lost = store.putSlots('lost', failing);
      failing.drink(Readable.from(broken(), { objectMode: false }));
      await assert.rejects(lost, /source gone/);
      assert.deepEqual(readdirSync(dir), ['img']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
