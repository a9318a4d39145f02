/**
 * The Swift part of the upload and download benchmarks: a real single-node Swift (test/support/swift-server.ts,
 * ../shared/tools/swift/start-swift.sh) behind a `swift` store, timed next to the swift CLI's own PUT/GET of the
 * same file in the same run, round by round. GLIMPSE_BENCH_SWIFT=0 skips it, GLIMPSE_BENCH_SWIFT=only runs it alone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StoreRegistry } from '@glimpse/storage';
import { type RunningSwift, startSwift } from '../../test/support/swift-server.js';
import { startBenchStack } from './bench-stack.js';
import { curlGet, curlPut, fmt, interleave, MiB, mbps, median, randomFile, withPeakRss } from './data-bench.js';

const run = promisify(execFile);
const member = { 'x-project-id': 'bench', 'x-roles': 'member' };
const memberHeaders = ['X-Project-Id: bench', 'X-Roles: member'];

/** Milliseconds the swift CLI takes for `args` (ST_AUTH/ST_USER/ST_KEY of this Swift). */
async function swiftCli(swift: RunningSwift, args: string[]): Promise<number> {
  const t = performance.now();
  await run('swift', args, { env: { ...process.env, ST_AUTH: swift.authUrl, ST_USER: swift.user, ST_KEY: swift.key }, maxBuffer: 16 << 20 });
  return performance.now() - t;
}

/** GLIMPSE_BENCH_SWIFT=only: the Swift part alone (no file-store rounds), in a work directory of its own. */
export async function swiftBenchOnly(kind: 'upload' | 'download', sizes: number[], rounds: number): Promise<boolean> {
  if (process.env.GLIMPSE_BENCH_SWIFT !== 'only') return false;
  const work = mkdtempSync(join(process.env.GLIMPSE_BENCH_DIR ?? tmpdir(), `glimpse-bench-swift-${kind}-`));
  try {
    console.log(`${kind} bench, Swift part only (GLIMPSE_BENCH_SWIFT=only): ${rounds} interleaved rounds per size; MB/s = 10^6 B/s`);
    await swiftBench(kind, sizes, rounds, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return true;
}

export async function swiftBench(kind: 'upload' | 'download', sizes: number[], rounds: number, work: string): Promise<void> {
  if (process.env.GLIMPSE_BENCH_SWIFT === '0') return;
  const swift = await startSwift();
  const stack = await startBenchStack({ GLIMPSE_STORES: JSON.stringify([swift.storeEntry('swift')]) }, { worker: false });
  const create = async () => {
    const res = await fetch(`${stack.url}/v2/images`, {
      method: 'POST',
      headers: { ...member, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' }),
    });
    return ((await res.json()) as { id: string }).id;
  };
  const store = stack.api.get(StoreRegistry).find('swift')!;
  /** The image and its bytes (no worker runs the reaper here). */
  const remove = async (id: string) => {
    await fetch(`${stack.url}/v2/images/${id}`, { method: 'DELETE', headers: member });
    await store.delete(`swift+config://swift/glance/${id}`);
  };
  try {
    const { segment_size: segment, large_object_size: threshold } = store.properties() as { segment_size: number; large_object_size: number };
    console.log(`\nswift store (a single-node Swift on loopback; segments of ${segment / MiB} MiB from ${threshold / MiB} MiB on; the CLI once as one object, and once segmented as Glimpse writes: -S ${segment} on upload, Glimpse's DLO on download):`);
    for (const sizeMiB of sizes) {
      const file = randomFile(work, sizeMiB);
      const bytes = sizeMiB * MiB;
      const cli: number[] = [];
      const cliSegmented: number[] = [];
      const svc: number[] = [];
      const rss: number[] = [];
      if (kind === 'upload') {
        const runCli = async () => cli.push(mbps(bytes, await swiftCli(swift, ['upload', '--object-name', 'cli-bench', 'bench', file])));
        // Segmented as Glimpse writes (a DLO of segment-size pieces, the CLI's default 10 segment threads); the
        // object and its segments are deleted after each timed round, so no round overwrites an earlier one.
        const runCliSegmented = async () => {
          cliSegmented.push(mbps(bytes, await swiftCli(swift, ['upload', '-S', String(segment), '--object-name', 'cli-bench-seg', 'bench', file])));
          await swiftCli(swift, ['delete', 'bench', 'cli-bench-seg']);
        };
        const runService = async () => {
          const id = await create();
          const headers = ['Expect:', 'Content-Type: application/octet-stream', ...memberHeaders];
          const { value: ms, peakGrowth } = await withPeakRss(() => curlPut(`${stack.url}/v2/images/${id}/file`, file, headers));
          const image = (await (await fetch(`${stack.url}/v2/images/${id}`, { headers: member })).json()) as Record<string, unknown>;
          if (image.status !== 'active' || image.size !== bytes) throw new Error(`upload ended wrong: ${JSON.stringify(image)}`);
          svc.push(mbps(bytes, ms));
          rss.push(peakGrowth / 1e6);
          await remove(id);
        };
        await interleave(rounds, runCli, runCliSegmented, runService);
      } else {
        const id = await create();
        await curlPut(`${stack.url}/v2/images/${id}/file`, file, ['Expect:', 'Content-Type: application/octet-stream', ...memberHeaders]);
        await swiftCli(swift, ['upload', '--object-name', 'cli-bench', 'bench', file]);
        const runCli = async () => cli.push(mbps(bytes, await swiftCli(swift, ['download', 'bench', 'cli-bench', '-o', '/dev/null'])));
        // The same DLO Glimpse serves (its manifest and segments), read by the CLI: Swift's own cost of a DLO.
        const runCliSegmented = async () => cliSegmented.push(mbps(bytes, await swiftCli(swift, ['download', 'glance', id, '-o', '/dev/null'])));
        const runService = async () => {
          const { value: ms, peakGrowth } = await withPeakRss(() => curlGet(`${stack.url}/v2/images/${id}/file`, bytes, memberHeaders));
          svc.push(mbps(bytes, ms));
          rss.push(peakGrowth / 1e6);
        };
        await interleave(rounds, runCli, runCliSegmented, runService);
        await remove(id);
      }
      const what = kind === 'upload' ? 'PUT /file → swift store' : 'GET /file from the swift store';
      console.log(`\n${sizeMiB} MiB image (page-cached source file):`);
      console.log(`  swift CLI ${kind === 'upload' ? 'upload (one PUT, md5 of the file)' : 'download -o /dev/null (ETag checked)'}  ${fmt(cli).padStart(12)} MB/s`);
      console.log(`  glimpse ${what.padEnd(34)} ${fmt(svc).padStart(12)} MB/s`);
      if (cliSegmented.length) {
        const how = kind === 'upload' ? `upload -S ${segment} (DLO, 10 segment threads)` : "download of Glimpse's DLO (-o /dev/null)";
        console.log(`  swift CLI ${how}   ${fmt(cliSegmented).padStart(12)} MB/s`);
      }
      console.log(`  ratio of medians glimpse/swift CLI           ${(median(svc) / median(cli)).toFixed(2).padStart(12)}   (target ≥ 0.90)`);
      if (cliSegmented.length) {
        console.log(`  ratio of medians glimpse/swift CLI, DLO      ${(median(svc) / median(cliSegmented)).toFixed(2).padStart(12)}`);
      }
      console.log(`  API process peak RSS growth                  ${fmt(rss).padStart(12)} MB`);
    }
  } finally {
    await stack.close();
    await swift.close();
  }
}
