/**
 * `npm run bench -- upload [size-MiB…]` (default 1024 and 4096, or GLIMPSE_BENCH_SIZES_MIB; GLIMPSE_BENCH_ROUNDS
 * rounds, default 2): `PUT /v2/images/{id}/file` of a random file with `curl -T` into the file store, through the
 * API in this process, interleaved round by round with the reference server of machine-limits.md (a minimal
 * Node server hashing MD5 and SHA-512 in two worker threads fed from a shared ring of 1 MiB slots, writing with
 * fsync; a child process), because this machine throttles its second core after some seconds of load. Also
 * measured in the same run on the same bytes: node:crypto's MD5+SHA-512 in one loop (one core), and a plain
 * `dd conv=fsync` copy. Prints MB/s (min/max over rounds), the service's ratio to the reference (target ≥ 0.9)
 * and the API process's peak RSS growth during the upload (target < 100 MB). Then the same sizes into a swift store
 * on a real Swift next to the swift CLI's own upload of the file (support/swift-bench.ts; GLIMPSE_BENCH_SWIFT=0 skips).
 * GLIMPSE_BENCH_CONSOLE=compare adds a second API with GLIMPSE_CONSOLE=false on the same data to the rounds and
 * prints console on/off side by side (support/console-compare.ts); Swift is then skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchStack, startBenchStack } from './support/bench-stack.js';
import { comparesConsole, consolePair, onOffLine } from './support/console-compare.js';
import { swiftBench, swiftBenchOnly } from './support/swift-bench.js';
import {
  benchRounds,
  benchSizes,
  curlPut,
  fmt,
  hashRateMs,
  interleave,
  MiB,
  mbps,
  median,
  randomFile,
  startReference,
  timedExec,
  withPeakRss,
} from './support/data-bench.js';

const member = { 'x-project-id': 'bench', 'x-roles': 'member' };

export default async function uploadBench(args: string[]): Promise<void> {
  const sizes = benchSizes(args);
  const rounds = benchRounds();
  if (await swiftBenchOnly('upload', sizes, rounds)) return;
  const work = mkdtempSync(join(process.env.GLIMPSE_BENCH_DIR ?? tmpdir(), 'glimpse-bench-upload-'));
  const stack = await startBenchStack({ GLIMPSE_STORES: 'local:file' }, { worker: false });
  const pair = comparesConsole() ? await consolePair(stack, { GLIMPSE_STORES: 'local:file' }, { worker: false }) : null;
  const reference = await startReference('upload', join(work, 'reference-upload.bin'));
  const storeDir = join(stack.config.dataDir, 'stores', 'local');
  try {
    console.log(`upload bench: ${rounds} interleaved rounds per size; MB/s = 10^6 B/s, min/max over rounds`);
    for (const sizeMiB of sizes) {
      const file = randomFile(work, sizeMiB);
      const bytes = sizeMiB * MiB;
      const hashed = await hashRateMs(file); // also warms the page cache
      const copyMs = timedExec('dd', [`if=${file}`, `of=${join(work, 'copy.bin')}`, 'bs=1M', 'conv=fsync', 'status=none']);
      rmSync(join(work, 'copy.bin'), { force: true });
      const ref: number[] = [];
      const svc: number[] = [];
      const rss: number[] = [];
      const off: number[] = [];
      const runReference = async () => {
        rmSync(join(work, 'reference-upload.bin'), { force: true });
        ref.push(mbps(bytes, await curlPut(`${reference.url}/up`, file, ['Expect:'])));
      };
      const upload = (api: BenchStack, into: number[]) => async () => {
        const created = await fetch(`${api.url}/v2/images`, {
          method: 'POST',
          headers: { ...member, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' }),
        });
        const { id } = (await created.json()) as { id: string };
        const headers = ['Expect:', 'Content-Type: application/octet-stream', 'X-Project-Id: bench', 'X-Roles: member'];
        const { value: ms, peakGrowth } = await withPeakRss(() => curlPut(`${api.url}/v2/images/${id}/file`, file, headers));
        const image = (await (await fetch(`${api.url}/v2/images/${id}`, { headers: member })).json()) as Record<string, unknown>;
        if (image.status !== 'active' || image.size !== bytes || image.checksum !== hashed.md5 || image.os_hash_value !== hashed.sha512) {
          throw new Error(`upload ended wrong: ${JSON.stringify(image)}`);
        }
        into.push(mbps(bytes, ms));
        if (api === stack) rss.push(peakGrowth / 1e6);
        await fetch(`${api.url}/v2/images/${id}`, { method: 'DELETE', headers: member });
        rmSync(join(storeDir, id), { force: true });
      };
      await interleave(rounds, runReference, upload(stack, svc), ...(pair ? [upload(pair.off, off)] : []));
      console.log(`\n${sizeMiB} MiB image (page-cached source, curl -T):`);
      console.log(`  node:crypto md5+sha512, one loop, one core   ${mbps(bytes, hashed.ms).toFixed(0).padStart(6)} MB/s`);
      console.log(`  dd bs=1M conv=fsync file copy                ${mbps(bytes, copyMs).toFixed(0).padStart(6)} MB/s`);
      console.log(`  reference server (2 hash workers, ring, fsync) ${fmt(ref).padStart(12)} MB/s`);
      console.log(`  glimpse PUT /file → file store               ${fmt(svc).padStart(12)} MB/s`);
      console.log(`  ratio of medians glimpse/reference           ${(median(svc) / median(ref)).toFixed(2).padStart(6)}   (target ≥ 0.90)`);
      console.log(`  API process peak RSS growth                  ${fmt(rss).padStart(12)} MB   (target < 100)`);
      if (pair) console.log(onOffLine('glimpse PUT /file, console on / off', svc, off, 'MB/s'));
      rmSync(file, { force: true });
    }
    if (!pair) await swiftBench('upload', sizes, rounds, work);
  } finally {
    await pair?.close();
    await reference.close();
    await stack.close();
    rmSync(work, { recursive: true, force: true });
  }
}
