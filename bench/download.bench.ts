/**
 * `npm run bench -- download [size-MiB…]` (default 1024 and 4096, or GLIMPSE_BENCH_SIZES_MIB; GLIMPSE_BENCH_ROUNDS
 * rounds, default 2): `GET /v2/images/{id}/file` with `curl -o /dev/null` of an image in the file store, through
 * the API in this process, interleaved round by round with the reference of machine-limits.md: a plain
 * `fs.createReadStream(<the same stored file>, 1 MiB)` piped to the response (a child process). Also in the same
 * run: `cat` of the stored file to /dev/null. Prints MB/s (min/max over rounds), the ratio to the reference
 * (target ≥ 0.9) and the API process's peak RSS growth during the download (target < 100 MB). Then the same sizes
 * from a swift store on a real Swift next to the swift CLI's own download (support/swift-bench.ts; GLIMPSE_BENCH_SWIFT=0 skips).
 * GLIMPSE_BENCH_CONSOLE=compare adds a second API with GLIMPSE_CONSOLE=false on the same data to the rounds and
 * prints console on/off side by side (support/console-compare.ts); Swift is then skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchStack, startBenchStack } from './support/bench-stack.js';
import { comparesConsole, consolePair, onOffLine } from './support/console-compare.js';
import { swiftBench, swiftBenchOnly } from './support/swift-bench.js';
import { benchRounds, benchSizes, curlGet, curlPut, fmt, interleave, MiB, mbps, median, randomFile, startReference, timedExec, withPeakRss } from './support/data-bench.js';

const member = { 'x-project-id': 'bench', 'x-roles': 'member' };

export default async function downloadBench(args: string[]): Promise<void> {
  const sizes = benchSizes(args);
  const rounds = benchRounds();
  if (await swiftBenchOnly('download', sizes, rounds)) return;
  const work = mkdtempSync(join(process.env.GLIMPSE_BENCH_DIR ?? tmpdir(), 'glimpse-bench-download-'));
  const stack = await startBenchStack({ GLIMPSE_STORES: 'local:file' }, { worker: false });
  const pair = comparesConsole() ? await consolePair(stack, { GLIMPSE_STORES: 'local:file' }, { worker: false }) : null;
  const storeDir = join(stack.config.dataDir, 'stores', 'local');
  try {
    console.log(`download bench: ${rounds} interleaved rounds per size; MB/s = 10^6 B/s, min/max over rounds`);
    for (const sizeMiB of sizes) {
      const file = randomFile(work, sizeMiB);
      const bytes = sizeMiB * MiB;
      const created = await fetch(`${stack.url}/v2/images`, {
        method: 'POST',
        headers: { ...member, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' }),
      });
      const { id } = (await created.json()) as { id: string };
      await curlPut(`${stack.url}/v2/images/${id}/file`, file, ['Expect:', 'Content-Type: application/octet-stream', 'X-Project-Id: bench', 'X-Roles: member']);
      rmSync(file, { force: true });
      const stored = join(storeDir, id);
      const catMs = timedExec('sh', ['-c', `cat '${stored}' > /dev/null`]); // also warms the page cache
      const reference = await startReference('download', stored);
      const ref: number[] = [];
      const svc: number[] = [];
      const rss: number[] = [];
      const off: number[] = [];
      const runReference = async () => ref.push(mbps(bytes, await curlGet(`${reference.url}/file`, bytes)));
      const download = (api: BenchStack, into: number[]) => async () => {
        const { value: ms, peakGrowth } = await withPeakRss(() => curlGet(`${api.url}/v2/images/${id}/file`, bytes, ['X-Project-Id: bench', 'X-Roles: member']));
        into.push(mbps(bytes, ms));
        if (api === stack) rss.push(peakGrowth / 1e6);
      };
      try {
        await interleave(rounds, runReference, download(stack, svc), ...(pair ? [download(pair.off, off)] : []));
      } finally {
        await reference.close();
      }
      console.log(`\n${sizeMiB} MiB image (page-cached stored file, curl -o /dev/null):`);
      console.log(`  cat stored file > /dev/null                  ${mbps(bytes, catMs).toFixed(0).padStart(12)} MB/s`);
      console.log(`  reference createReadStream(1 MiB).pipe(res)  ${fmt(ref).padStart(12)} MB/s`);
      console.log(`  glimpse GET /file from the file store        ${fmt(svc).padStart(12)} MB/s`);
      console.log(`  ratio of medians glimpse/reference           ${(median(svc) / median(ref)).toFixed(2).padStart(12)}   (target ≥ 0.90)`);
      console.log(`  API process peak RSS growth                  ${fmt(rss).padStart(12)} MB   (target < 100)`);
      if (pair) console.log(onOffLine('glimpse GET /file, console on / off', svc, off, 'MB/s'));
      await fetch(`${stack.url}/v2/images/${id}`, { method: 'DELETE', headers: member });
      rmSync(stored, { force: true });
    }
    if (!pair) await swiftBench('download', sizes, rounds, work);
  } finally {
    await pair?.close();
    await stack.close();
    rmSync(work, { recursive: true, force: true });
  }
}
