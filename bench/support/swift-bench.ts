/**
 * The Swift part of the upload and download benchmarks: a real single-node Swift (test/support/swift-server.ts,
 * ../shared/tools/swift/start-swift.sh) behind a `swift` store, timed next to the swift CLI's own PUT/GET of the
 * same file in the same run, round by round. GLIMPSE_BENCH_SWIFT=0 skips it, GLIMPSE_BENCH_SWIFT=only runs it alone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StoreRegistry } from '@glimpse/storage';
import { type RunningSwift, startSwift } from '../../test/support/swift-server.js';
import { startBenchStack } from './bench-stack.js';
import { curlGet, curlPut, fmt, interleave, MiB, mbps, median, randomFile, withPeakRss } from './data-bench.js';

const run = promisify(execFile);
const member = { 'x-project-id': 'bench', 'x-roles': 'member' };
const memberHeaders = ['X-Project-Id: bench', 'X-Roles: member'];

/**
 * Milliseconds the swift CLI takes for `args` (ST_AUTH/ST_USER/ST_KEY of this Swift), and the CPU seconds it used
 * (user + system, from bash's `times`).
 */
async function swiftCli(swift: RunningSwift, args: string[]): Promise<{ ms: number; cpu: number }> {
  const t = performance.now();
  const { stdout } = await run('bash', ['-c', 'swift "$@" >/dev/null && times', 'swift', ...args], {
    env: { ...process.env, ST_AUTH: swift.authUrl, ST_USER: swift.user, ST_KEY: swift.key },
    maxBuffer: 16 << 20,
  });
  const ms = performance.now() - t;
  // `times`: the shell's own user/system, then its children's (`0m2.512s 0m0.431s`).
  const seconds = (stdout.trim().split('\n').pop() ?? '').split(' ').map((v) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(v);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  });
  return { ms, cpu: seconds.reduce((a, b) => a + b, 0) };
}

/** What one timed run gives: MB/s, and CPU seconds per GiB (of the CLI, or of this process: the API and its hash workers). */
interface Timed {
  mbps: number[];
  cpuPerGiB: number[];
  /** The one-minute load average when each run ended. */
  load: number[];
}

const timed = (): Timed => ({ mbps: [], cpuPerGiB: [], load: [] });

function record(into: Timed, bytes: number, ms: number, cpuSeconds: number): void {
  into.mbps.push(mbps(bytes, ms));
  into.cpuPerGiB.push(cpuSeconds / (bytes / (1 << 30)));
  into.load.push(loadavg()[0]!);
}

/** This process's CPU seconds (every thread: the API's main thread, its hash workers, the GC) while `run` runs. */
async function withCpu<T>(run: () => Promise<T>): Promise<{ value: T; cpu: number }> {
  const before = process.cpuUsage();
  const value = await run();
  const used = process.cpuUsage(before);
  return { value, cpu: (used.user + used.system) / 1e6 };
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
      const cli = timed();
      const cliSegmented = timed();
      const svc = timed();
      const rss: number[] = [];
      if (kind === 'upload') {
        const runCli = async () => {
          const { ms, cpu } = await swiftCli(swift, ['upload', '--object-name', 'cli-bench', 'bench', file]);
          record(cli, bytes, ms, cpu);
        };
        // Segmented as Glimpse writes (a DLO of segment-size pieces, the CLI's default 10 segment threads); the
        // object and its segments are deleted after each timed round, so no round overwrites an earlier one.
        const runCliSegmented = async () => {
          const { ms, cpu } = await swiftCli(swift, ['upload', '-S', String(segment), '--object-name', 'cli-bench-seg', 'bench', file]);
          record(cliSegmented, bytes, ms, cpu);
          await swiftCli(swift, ['delete', 'bench', 'cli-bench-seg']);
        };
        const runService = async () => {
          const id = await create();
          const headers = ['Expect:', 'Content-Type: application/octet-stream', ...memberHeaders];
          const { value: { value: ms, peakGrowth }, cpu } = await withCpu(() => withPeakRss(() => curlPut(`${stack.url}/v2/images/${id}/file`, file, headers)));
          const image = (await (await fetch(`${stack.url}/v2/images/${id}`, { headers: member })).json()) as Record<string, unknown>;
          if (image.status !== 'active' || image.size !== bytes) throw new Error(`upload ended wrong: ${JSON.stringify(image)}`);
          record(svc, bytes, ms, cpu);
          rss.push(peakGrowth / 1e6);
          await remove(id);
        };
        await interleave(rounds, runCli, runCliSegmented, runService);
      } else {
        const id = await create();
        await curlPut(`${stack.url}/v2/images/${id}/file`, file, ['Expect:', 'Content-Type: application/octet-stream', ...memberHeaders]);
        await swiftCli(swift, ['upload', '--object-name', 'cli-bench', 'bench', file]);
        const runCli = async () => {
          const { ms, cpu } = await swiftCli(swift, ['download', 'bench', 'cli-bench', '-o', '/dev/null']);
          record(cli, bytes, ms, cpu);
        };
        // The same DLO Glimpse serves (its manifest and segments), read by the CLI: Swift's own cost of a DLO.
        const runCliSegmented = async () => {
          const { ms, cpu } = await swiftCli(swift, ['download', 'glance', id, '-o', '/dev/null']);
          record(cliSegmented, bytes, ms, cpu);
        };
        const runService = async () => {
          const { value: { value: ms, peakGrowth }, cpu } = await withCpu(() => withPeakRss(() => curlGet(`${stack.url}/v2/images/${id}/file`, bytes, memberHeaders)));
          record(svc, bytes, ms, cpu);
          rss.push(peakGrowth / 1e6);
        };
        await interleave(rounds, runCli, runCliSegmented, runService);
        await remove(id);
      }
      const what = kind === 'upload' ? 'PUT /file → swift store' : 'GET /file from the swift store';
      const how = kind === 'upload' ? `upload -S ${segment} (DLO, 10 segment threads)` : "download of Glimpse's DLO (-o /dev/null)";
      console.log(`\n${sizeMiB} MiB image (page-cached source file):`);
      console.log(`  swift CLI ${kind === 'upload' ? 'upload (one PUT, md5 of the file)' : 'download -o /dev/null (ETag checked)'}  ${fmt(cli.mbps).padStart(12)} MB/s`);
      console.log(`  glimpse ${what.padEnd(34)} ${fmt(svc.mbps).padStart(12)} MB/s`);
      console.log(`  swift CLI ${how}   ${fmt(cliSegmented.mbps).padStart(12)} MB/s`);
      console.log(`  ratio of medians glimpse/swift CLI           ${(median(svc.mbps) / median(cli.mbps)).toFixed(2).padStart(12)}   (target ≥ 0.90)`);
      console.log(`  ratio of medians glimpse/swift CLI, DLO      ${(median(svc.mbps) / median(cliSegmented.mbps)).toFixed(2).padStart(12)}`);
      console.log(`  CPU s/GiB: glimpse's API process ${fmt(svc.cpuPerGiB, 1)} (curl not counted), CLI ${fmt(cli.cpuPerGiB, 1)}, CLI DLO ${fmt(cliSegmented.cpuPerGiB, 1)}`);
      console.log('  round by round (MB/s; ratio to the CLI; 1-min load when glimpse\'s run ended):');
      svc.mbps.forEach((v, i) => {
        const one = cli.mbps[i]!;
        const seg = cliSegmented.mbps[i]!;
        console.log(`    ${i + 1}: glimpse ${v.toFixed(0)}, CLI ${one.toFixed(0)} (${(v / one).toFixed(2)}), CLI DLO ${seg.toFixed(0)} (${(v / seg).toFixed(2)}), load ${svc.load[i]!.toFixed(1)}`);
      });
      console.log(`  API process peak RSS growth                  ${fmt(rss).padStart(12)} MB`);
    }
  } finally {
    await stack.close();
    await swift.close();
  }
}
