/**
 * Fixture helpers for the format inspector tests: a temp directory, the Debian image tools (qemu-img, sfdisk,
 * xorriso, genisoimage, installed by scripts/ensure-tools.sh), and ways to feed files to the inspector.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatInspector, type InspectionResult, type InspectorOptions, inspectSeekable, inspectStream, type SeekableInspection } from '@glimpse/format-inspector';

export interface Workdir {
  dir: string;
  path(name: string): string;
  remove(): void;
}

export function workdir(): Workdir {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-fi-'));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a tool in `cwd`, failing the test with its stderr when it fails. */
export function run(cwd: string, command: string, args: string[], input?: string): string {
  return execFileSync(command, args, { cwd, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface QemuInfo {
  format: string;
  virtualSize: number;
}

/** What `qemu-img info --output=json` says (with `-f` when the format cannot be probed, like a fixed VHD). */
export function qemuInfo(file: string, format?: string): QemuInfo {
  const args = ['info', '--output=json', ...(format ? ['-f', format] : []), file];
  const info = JSON.parse(run(process.cwd(), 'qemu-img', args)) as { format: string; 'virtual-size': number };
  return { format: info.format, virtualSize: info['virtual-size'] };
}

/** Streams a file through the inspector in chunks of `chunkSize` bytes (as an upload would see it). */
export function inspectFile(file: string, options?: InspectorOptions, chunkSize = 64 * 1024): Promise<InspectionResult> {
  return inspectStream(createReadStream(file, { highWaterMark: chunkSize }), options);
}

/** Inspects a file by seeking: reads only what the probes ask for. */
export async function inspectFileSeeking(file: string, options?: InspectorOptions): Promise<SeekableInspection> {
  const fd = openSync(file, 'r');
  try {
    const read = async (offset: number, length: number) => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, offset));
    };
    return await inspectSeekable(read, fstatSync(fd).size, options);
  } finally {
    closeSync(fd);
  }
}

/** Inspects an in-memory image, split into chunks of the given sizes (cycled). */
export function inspectBuffer(data: Buffer, options?: InspectorOptions, chunkSizes: number[] = [65536]): InspectionResult {
  const inspector = new FormatInspector(options);
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.max(1, chunkSizes[i % chunkSizes.length]!);
    inspector.push(data.subarray(at, at + n));
    at += n;
  }
  return inspector.finish();
}

export const readFile = (file: string): Buffer => readFileSync(file);

/** Deterministic PRNG (mulberry32) so a failing fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const codes = (result: InspectionResult): string[] => result.reasons.map((r) => r.code);
