/**
 * Fuzz: thousands of seeded mutations of real headers (made by qemu-img and friends) and of the hand-built ones
 * go through the inspector in random chunk sizes. Whatever the bytes, nothing may throw out of the inspector or
 * the gate, the verdict must be well formed, and the bytes held must stay under the configured cap. Each case is
 * replayable from the seed printed on failure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkFormat, FormatInspector, type InspectionResult } from '@glimpse/format-inspector';
import * as img from './hostile-images.js';
import { prng, readFile, run, type Workdir, workdir } from './image-tools.js';

const CASES = 4000;
const BASE_SEED = 0x5eed_2026;
const KiB = 1024;
const FORMATS = new Set(['raw', 'qcow2', 'qed', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso', 'gpt', 'mbr', 'luks', 'unknown']);

interface Seed {
  name: string;
  data: Buffer;
  /** Offsets where mutations matter most (headers, tables, the tail). */
  hotspots: number[];
}

/** Signatures spliced in to build polyglots, with where they usually live. */
const SIGNATURES: [string, number][] = [
  ['QFI\xfb', 0],
  ['QED\0', 0],
  ['KDMV', 0],
  ['COWD', 0],
  ['vhdxfile', 0],
  ['LUKS\xba\xbe', 0],
  ['version=1\n', 0],
  ['\x01CD001', 32 * KiB],
  ['EFI PART', 512],
  ['U\xaa', 510],
  ['conectix', 0],
  ['regi', 192 * KiB],
  ['metadata', 1024 * KiB],
];

const EXTREMES = [0n, 1n, 0x7fffffffn, 0xffffffffn, 1n << 53n, 1n << 63n, 0xffffffffffffffffn];

function mutate(seed: Seed, random: () => number): { stream: Buffer[]; label: string } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hotspot = pick([...seed.hotspots, Math.floor(random() * seed.data.length)]);
  const start = Math.max(0, Math.min(hotspot - 256, seed.data.length));
  const end = Math.min(seed.data.length, start + 4 * KiB);
  const window = Buffer.from(seed.data.subarray(start, end));
  const ops: string[] = [];
  const count = 1 + Math.floor(random() * 8);
  for (let i = 0; i < count && window.length > 0; i++) {
    const at = Math.floor(random() * window.length);
    const op = Math.floor(random() * 4);
    if (op === 0) {
      window[at] = Math.floor(random() * 256);
      ops.push(`byte@${start + at}`);
    } else if (op === 1 && at + 8 <= window.length) {
      const value = pick(EXTREMES) | BigInt(Math.floor(random() * 256));
      if (random() < 0.5) window.writeBigUInt64LE(value & 0xffffffffffffffffn, at);
      else window.writeBigUInt64BE(value & 0xffffffffffffffffn, at);
      ops.push(`u64@${start + at}`);
    } else if (op === 2 && at + 4 <= window.length) {
      window.writeUInt32LE(Number(pick(EXTREMES) & 0xffffffffn), at);
      ops.push(`u32@${start + at}`);
    } else {
      const [sig] = pick(SIGNATURES);
      window.write(sig, at, 'latin1');
      ops.push(`sig@${start + at}`);
    }
  }
  const stream = [seed.data.subarray(0, start), window, seed.data.subarray(end)];
  // Sometimes glue a polyglot signature at its usual place, or cut the stream short.
  if (random() < 0.15) {
    const [sig, where] = pick(SIGNATURES);
    const patch = Buffer.from(sig, 'latin1');
    stream.push(Buffer.alloc(Math.max(0, where - seed.data.length)), patch);
    ops.push(`glue:${JSON.stringify(sig)}`);
  }
  let total = stream.reduce((n, b) => n + b.length, 0);
  if (random() < 0.2) {
    let keep = Math.floor(random() * total);
    ops.push(`cut@${keep}`);
    for (let i = 0; i < stream.length; i++) {
      stream[i] = stream[i]!.subarray(0, Math.max(0, keep));
      keep -= stream[i]!.length;
    }
    total = stream.reduce((n, b) => n + b.length, 0);
  }
  return { stream, label: `${seed.name} ${ops.join(' ')}` };
}

function feed(stream: Buffer[], random: () => number, cap: number): { result: InspectionResult; inspector: FormatInspector } {
  const inspector = new FormatInspector({ maxRetainedBytes: cap });
  const sizes = [1, 7, 512, 4096, 65536, 1 + Math.floor(random() * 100_000)];
  for (const part of stream) {
    for (let at = 0; at < part.length; ) {
      const n = sizes[Math.floor(random() * sizes.length)]!;
      inspector.push(part.subarray(at, at + n));
      at += n;
      assert.ok(inspector.retainedBytes <= cap, `retained ${inspector.retainedBytes} > cap ${cap}`);
    }
  }
  return { result: inspector.finish(), inspector };
}

describe('format inspector fuzz', () => {
  let w: Workdir;
  const seeds: Seed[] = [];

  before(() => {
    w = workdir();
    const q = (...args: string[]) => run(w.dir, 'qemu-img', args);
    q('create', '-q', '-f', 'qcow2', 'a.qcow2', '1G');
    q('create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', 'b.qcow2', '1G');
    q('create', '-q', '-f', 'vmdk', 'a.vmdk', '1G');
    q('create', '-q', '-f', 'vmdk', '-o', 'subformat=streamOptimized', 'b.vmdk', '1G');
    q('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', 'c.vmdk', '1M');
    q('create', '-q', '-f', 'vpc', 'a.vhd', '1G');
    q('create', '-q', '-f', 'vpc', '-o', 'subformat=fixed', 'b.vhd', '64K');
    q('create', '-q', '-f', 'vhdx', 'a.vhdx', '1G');
    q('create', '-q', '-f', 'vdi', 'a.vdi', '1G');
    q('create', '-q', '-f', 'raw', 'a.raw', '4M');
    run(w.dir, 'sfdisk', ['-q', 'a.raw'], 'label: gpt\n,\n');
    const file = (name: string, hotspots: number[], limit = 4 * 1024 * KiB) => {
      const data = readFile(w.path(name));
      seeds.push({ name, data: data.subarray(0, limit), hotspots });
    };
    file('a.qcow2', [0, 64]);
    file('b.qcow2', [0]);
    file('a.vmdk', [0, 512, 700]);
    file('b.vmdk', [0, 512]);
    file('c.vmdk', [0, 100]);
    file('a.vhd', [0, 512, 1024]);
    file('b.vhd', [64 * KiB]);
    file('a.vhdx', [0, 192 * KiB, 3 * 1024 * KiB, 3 * 1024 * KiB + 64 * KiB], 3 * 1024 * KiB + 128 * KiB);
    file('a.vdi', [0, 0x170]);
    file('a.raw', [446, 512, 1024]);
    seeds.push({ name: 'vmdk-footer', data: img.vmdkWithFooter(), hotspots: [0, 64 * KiB] });
    seeds.push({ name: 'iso', data: img.iso({ size: 64 * 2048 }), hotspots: [32 * KiB, 34 * KiB] });
    seeds.push({ name: 'luks', data: img.luks(), hotspots: [0, 104] });
    seeds.push({ name: 'vhdx-built', data: img.vhdx(), hotspots: [192 * KiB, 1024 * KiB, 1088 * KiB] });
  });
  after(() => w?.remove());

  it(`survives ${CASES} mutated headers with well-formed verdicts and bounded memory`, () => {
    const seen = new Set<string>();
    for (let i = 0; i < CASES; i++) {
      const caseSeed = BASE_SEED + i;
      const random = prng(caseSeed);
      const seed = seeds[i % seeds.length]!;
      const { stream, label } = mutate(seed, random);
      const cap = random() < 0.3 ? 256 * KiB : 4 * 1024 * KiB;
      try {
        const { result } = feed(stream, random, cap);
        assert.ok(FORMATS.has(result.format), result.format);
        assert.equal(result.safe, result.reasons.length === 0);
        assert.ok(result.virtualSize === null || (Number.isSafeInteger(result.virtualSize) && result.virtualSize >= 0));
        assert.ok(result.peakRetainedBytes <= cap, `peak ${result.peakRetainedBytes} > cap ${cap}`);
        const verdict = checkFormat({ declaredDiskFormat: 'qcow2', declaredContainerFormat: 'bare', result, requireMatch: true });
        assert.equal(typeof verdict.ok, 'boolean');
        seen.add(`${result.format}:${result.safe}`);
        for (const r of result.reasons) seen.add(r.code);
      } catch (err) {
        throw new Error(`fuzz case ${caseSeed} (${label}) failed: ${(err as Error).stack}`);
      }
    }
    // The mutations reach both verdicts for many formats and many reasons (a fuzzer stuck on one outcome tests little).
    assert.ok(seen.size >= 25, [...seen].sort().join(' '));
  });
});
