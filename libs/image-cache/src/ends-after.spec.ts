import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { endsAfter } from './ends-after.js';

/** Reads what the stream gives within `ms`, without waiting for its end. */
async function readFor(stream: Readable, ms: number): Promise<Buffer> {
  const got: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => got.push(chunk));
  await sleep(ms);
  return Buffer.concat(got);
}

describe('endsAfter', () => {
  it('holds the last bytes back until the promise settles, then gives every byte in order', async () => {
    const chunks = [Buffer.from('aaaa'), Buffer.from('bbbb'), Buffer.from('cc')];
    let settle!: () => void;
    const before = new Promise<void>((resolve) => (settle = resolve));
    const out = endsAfter(Readable.from(chunks), before);
    const early = await readFor(out, 50);
    assert.ok(early.length < 10, `every byte went out before the hit was recorded (${early.length})`);
    assert.ok(Buffer.from('aaaabbbbcc').subarray(0, early.length).equals(early));
    const ended = new Promise((resolve) => out.once('end', resolve));
    const rest: Buffer[] = [];
    out.on('data', (chunk: Buffer) => rest.push(chunk));
    settle();
    await ended;
    assert.equal(Buffer.concat([early, ...rest]).toString(), 'aaaabbbbcc');
  });

  it('ends an empty body once the promise settles', async () => {
    const out = endsAfter(Readable.from([]), Promise.resolve());
    const got: Buffer[] = [];
    for await (const chunk of out) got.push(chunk as Buffer);
    assert.equal(got.length, 0);
  });

  it('destroys the source when the output is destroyed', async () => {
    const source = new Readable({ read() {} });
    const out = endsAfter(source, new Promise(() => undefined));
    out.destroy();
    await sleep(10);
    assert.ok(source.destroyed);
  });
});
