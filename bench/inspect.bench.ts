/**
 * `npm run bench -- inspect [size] [format…]`: for a sparse image of each format (default 4G; made with qemu-img,
 * or truncate + sfdisk for raw disks; `iso` only when named, as genisoimage writes it out in full) it measures, on
 * the same file in the same run:
 *   - read:    the machine's plain read rate (64 KiB chunks, no inspector): the reference;
 *   - stream:  the upload path's cost, every chunk pushed through the inspector (full pass);
 *   - seek:    a stored-file check that reads only what the probes ask for (4 KiB reads), then the tail.
 * and prints bytes read, bytes the inspector held at most, and time per inspection.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatInspector, inspectSeekable } from '@glimpse/format-inspector';

const CHUNK = 64 * 1024;

interface Recipe {
  name: string;
  file: string;
  make: (dir: string, size: string) => void;
}

const sh = (dir: string, cmd: string, args: string[], input?: string) => {
  execFileSync(cmd, args, { cwd: dir, input, stdio: ['pipe', 'ignore', 'pipe'] });
};
const qemu = (format: string, file: string, ...opts: string[]) => (dir: string, size: string) =>
  sh(dir, 'qemu-img', ['create', '-q', '-f', format, ...opts, file, size]);

/** qemu's LUKS PBKDF2 timing sometimes fails on a busy machine ("Unable to get accurate CPU usage"): try again. */
function retried(make: Recipe['make']): Recipe['make'] {
  return (dir, size) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return make(dir, size);
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  };
}

/** An ISO of one sparse file of the given size: genisoimage writes it out in full, so it runs only when named. */
function makeIso(dir: string, size: string): void {
  sh(dir, 'mkdir', ['-p', 'isotree']);
  sh(dir, 'truncate', ['-s', size, 'isotree/disk.img']);
  sh(dir, 'genisoimage', ['-quiet', '-allow-limited-size', '-udf', '-o', 'disk.iso', 'isotree']);
  rmSync(join(dir, 'isotree'), { recursive: true, force: true });
}

const ON_REQUEST = new Set(['iso']);

const RECIPES: Recipe[] = [
  { name: 'raw', file: 'disk.raw', make: (dir, size) => sh(dir, 'truncate', ['-s', size, 'disk.raw']) },
  {
    name: 'gpt',
    file: 'disk.gpt',
    make: (dir, size) => {
      sh(dir, 'truncate', ['-s', size, 'disk.gpt']);
      sh(dir, 'sfdisk', ['-q', 'disk.gpt'], 'label: gpt\n,\n');
    },
  },
  { name: 'qcow2', file: 'disk.qcow2', make: qemu('qcow2', 'disk.qcow2') },
  { name: 'vmdk', file: 'disk.vmdk', make: qemu('vmdk', 'disk.vmdk') },
  { name: 'vmdk-stream', file: 'stream.vmdk', make: qemu('vmdk', 'stream.vmdk', '-o', 'subformat=streamOptimized') },
  { name: 'vhd', file: 'disk.vhd', make: qemu('vpc', 'disk.vhd') },
  { name: 'vhd-fixed', file: 'fixed.vhd', make: qemu('vpc', 'fixed.vhd', '-o', 'subformat=fixed') },
  { name: 'vhdx', file: 'disk.vhdx', make: qemu('vhdx', 'disk.vhdx') },
  { name: 'vdi', file: 'disk.vdi', make: qemu('vdi', 'disk.vdi') },
  { name: 'iso', file: 'disk.iso', make: makeIso },
  { name: 'luks', file: 'disk.luks', make: retried(qemu('luks', 'disk.luks', '--object', 'secret,id=s0,data=bench', '-o', 'key-secret=s0')) },
];

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await work();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

async function plainRead(file: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) bytes += (chunk as Buffer).length;
  return bytes;
}

async function streamed(file: string) {
  const inspector = new FormatInspector();
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) {
    bytes += (chunk as Buffer).length;
    inspector.push(chunk as Buffer);
  }
  return { result: inspector.finish(), bytes };
}

async function seeked(file: string) {
  const handle = await open(file, 'r');
  try {
    const read = async (offset: number, length: number) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    };
    return await inspectSeekable(read, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(bytes < 1e6 ? 3 : 0);
const rate = (bytes: number, ms: number) => (ms > 0 ? `${((bytes / 1e6) / (ms / 1000)).toFixed(0)} MB/s` : '-');

export default async function inspectBench(args: string[]): Promise<void> {
  const size = args.find((a) => /^\d+[KMGT]?$/i.test(a)) ?? '4G';
  const only = args.filter((a) => a !== size);
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-inspect-bench-'));
  console.log(`format inspector bench: ${size} sparse images in ${dir}, ${CHUNK / 1024} KiB chunks`);
  console.log('format       | file MB | verdict        | virtual MB | read (ref) ms, rate | stream ms, rate, held KiB | seek ms, bytes read');
  try {
    for (const recipe of RECIPES.filter((r) => (only.length === 0 ? !ON_REQUEST.has(r.name) : only.includes(r.name)))) {
      recipe.make(dir, size);
      const file = join(dir, recipe.file);
      const fileBytes = statSync(file).size;
      await plainRead(file); // warm the page cache so both full passes read the same way
      const [readBytes, readMs] = await timed(() => plainRead(file));
      const [full, streamMs] = await timed(() => streamed(file));
      const [seek, seekMs] = await timed(() => seeked(file));
      const r = full.result;
      if (r.format !== seek.result.format || r.virtualSize !== seek.result.virtualSize) {
        throw new Error(`${recipe.name}: stream and seek verdicts differ (${r.format}/${r.virtualSize} vs ${seek.result.format}/${seek.result.virtualSize})`);
      }
      console.log(
        [
          recipe.name.padEnd(12),
          mb(fileBytes).padStart(7),
          `${r.format}${r.safe ? '' : '!'}`.padEnd(14),
          mb(r.virtualSize ?? 0).padStart(10),
          `${readMs.toFixed(1)}, ${rate(readBytes, readMs)}`.padStart(19),
          `${streamMs.toFixed(1)}, ${rate(full.bytes, streamMs)}, ${(r.peakRetainedBytes / 1024).toFixed(0)}`.padStart(25),
          `${seekMs.toFixed(2)}, ${seek.bytesRead}`,
        ].join(' | '),
      );
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
