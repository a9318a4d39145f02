/**
 * `npm run bench -- import [size-MiB…]` (else GLIMPSE_BENCH_SIZES_MIB, else 1024; GLIMPSE_BENCH_ROUNDS rounds,
 * default 5): a web-download import of a random image served by a local HTTP server in its own process
 * (support/reference-server.js, as a remote web server would be), through the API and a worker in this process
 * (MongoDB/Redis as for `npm start`), interleaved round by round (the order rotated) with the references measured
 * on the same bytes and the same disk:
 *   - download: `curl -o` of the same URL to a file beside the store (what the import must approach);
 *   - upload: `curl -T` of the same file into `PUT /v2/images/{id}/file` (the same writer; import ≥ 0.9 × upload);
 * and, once, what bounds any import that checksums as it must:
 *   - hashing:  MD5 and SHA-512 over as many bytes from memory, each alone on one core, and both in parallel off
 *               the main thread as the import does (with two cores, that is the import's ceiling).
 * Prints MB/s (min/max over rounds), the ratio of medians to the plain download (target ≥ 0.8), the bound MD5
 * sets (no import that computes it in the same pass can outrun it), each round's import/upload ratio with the
 * machine's load when it started, and the CPU-seconds per GiB each path took: in this process (API, worker and
 * hashing threads) and outside it (the feeding server for the import, curl for the upload), since on a machine
 * whose cores the hashing fills, the rates follow the total.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import { JobName, QueueName } from '@glimpse/contracts';
import { TaskRepository } from '@glimpse/persistence';
import { JobProducer, redisOptions } from '@glimpse/queue';
import { ParallelHasher } from '@glimpse/storage';
import { startBenchStack } from './support/bench-stack.js';
import { cpuSecondsOfPid } from './support/process-cpu.js';
import { benchRounds, benchSizes, curlAsync, curlPut, fmt, interleave, MiB, mbps, median, randomFile, startReference } from './support/data-bench.js';

const headers = { 'content-type': 'application/json', 'x-project-id': 'bench', 'x-roles': 'member' };

export default async function importBench(args: string[]): Promise<void> {
  const sizes = args.length || process.env.GLIMPSE_BENCH_SIZES_MIB ? benchSizes(args) : [1024];
  for (const sizeMiB of sizes) await importBenchAt(sizeMiB);
}

async function importBenchAt(sizeMiB: number): Promise<void> {
  const rounds = benchRounds(5);
  const work = mkdtempSync(join(process.env.GLIMPSE_BENCH_DIR ?? tmpdir(), 'glimpse-bench-import-'));
  const source = randomFile(work, sizeMiB);
  const size = statSync(source).size;
  execFileSync('sync'); // the source's writeback must not run during the measured rounds
  const server = await startReference('download', source);
  const url = `${server.url}/file`;
  const port = new URL(url).port;
  const stack = await startBenchStack({
    GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
    GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: port,
    WORKER_QUEUES: 'image-import',
  });
  const events = new QueueEvents(QueueName.ImageImport, { connection: redisOptions(stack.config.redis.url, 'queue') as ConnectionOptions, prefix: stack.config.queue.prefix });
  try {
    await events.waitUntilReady();
    const hashing = await hashingReferences(size);
    const plain = join(stack.config.dataDir, 'plain.raw'); // beside the store: the same disk
    const ref: number[] = [];
    const svc: number[] = [];
    const cpu: number[] = [];
    const feederCpu: number[] = [];
    const upCpu: number[] = [];
    const curlCpu: number[] = [];
    const up: number[] = [];
    const loads: number[] = [];
    const perGiB = (seconds: number) => seconds / (size / (1024 * MiB));
    const runReference = async () => {
      const { ms } = await curlAsync(['-sf', '-o', plain, url]);
      if (statSync(plain).size !== size) throw new Error('the plain download is short');
      rmSync(plain);
      ref.push(mbps(size, ms));
    };
    const runImport = async () => {
      const load = loadavg()[0]!;
      const before = process.cpuUsage();
      const feederBefore = cpuSecondsOfPid(server.pid).self;
      const ms = await importOnce(stack, events, url, size);
      const used = process.cpuUsage(before);
      svc.push(mbps(size, ms));
      cpu.push(perGiB((used.user + used.system) / 1e6)); // CPU-seconds per GiB
      feederCpu.push(perGiB(cpuSecondsOfPid(server.pid).self - feederBefore));
      loads.push(load);
    };
    // The same bytes uploaded (curl -T into PUT /file) in the same round: both go through the one image writer.
    const runUpload = async () => {
      const upBefore = process.cpuUsage();
      const curlBefore = cpuSecondsOfPid().children;
      up.push(mbps(size, await uploadOnce(stack, source, size)));
      const upUsed = process.cpuUsage(upBefore);
      upCpu.push(perGiB((upUsed.user + upUsed.system) / 1e6));
      curlCpu.push(perGiB(cpuSecondsOfPid().children - curlBefore));
    };
    // Each round runs the three in turn, its order rotated (the upload does not always follow the import).
    await interleave(rounds, runReference, runImport, runUpload);
    const roundFigures = svc.map((rate, i) => `${rate.toFixed(0)}/${up[i]!.toFixed(0)} = ${(rate / up[i]!).toFixed(2)} (load ${loads[i]!.toFixed(1)})`);
    const fromMemory = (rate: number) => (1024 * MiB) / 1e6 / rate; // seconds per GiB
    const ratio = median(svc) / median(ref);
    console.log(`web-download import of ${sizeMiB} MiB from 127.0.0.1 (page-cached source), ${rounds} interleaved rounds; MB/s = 10^6 B/s, min/max over rounds`);
    console.log(`  curl download to disk      ${fmt(ref).padStart(20)} MB/s   (reference)`);
    console.log(`  md5 alone, one core        ${hashing.md5.toFixed(0).padStart(20)} MB/s   (from memory)`);
    console.log(`  sha512 alone, one core     ${hashing.sha512.toFixed(0).padStart(20)} MB/s   (from memory)`);
    console.log(`  md5+sha512 in parallel     ${hashing.parallel.toFixed(0).padStart(20)} MB/s   (the import's hasher alone, from memory)`);
    console.log(`  import (API → worker → file store, md5+sha512 in the same pass)`);
    console.log(`                             ${fmt(svc).padStart(20)} MB/s`);
    console.log(`  upload of the same file (curl -T → PUT /file → file store, md5+sha512 in the same pass)`);
    console.log(`                             ${fmt(up).padStart(20)} MB/s`);
    console.log(`  ratio of medians import/upload   ${(median(svc) / median(up)).toFixed(2).padStart(14)}   (target ≥ 0.90: one writer for both)`);
    console.log(`  per round, import/upload MB/s (1-min load average at its start): ${roundFigures.join(', ')}`);
    console.log(`  ratio of medians import/download ${ratio.toFixed(2).padStart(14)}   (target ≥ 0.80); import/parallel hashing ${(median(svc) / hashing.parallel).toFixed(2)}`);
    console.log(`  bound: an import that computes MD5 in the pass cannot outrun MD5 on one core: ${(hashing.md5 / median(ref)).toFixed(2)} × the download here`);
    console.log(`  import CPU, this process   ${fmt(cpu, 1).padStart(20)} s/GiB (all threads; MD5 + SHA-512 alone ${(fromMemory(hashing.md5) + fromMemory(hashing.sha512)).toFixed(2)} s/GiB)`);
    console.log(`             feeding server  ${fmt(feederCpu, 2).padStart(20)} s/GiB (the HTTP server in its own process)`);
    console.log(`  upload CPU, this process   ${fmt(upCpu, 1).padStart(20)} s/GiB`);
    console.log(`             curl -T         ${fmt(curlCpu, 2).padStart(20)} s/GiB`);
  } finally {
    await events.close();
    await stack.close();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One web-download import into a new image; the milliseconds from the import call until its job finished (also used by the copy-from bench). */
export async function importOnce(stack: Awaited<ReturnType<typeof startBenchStack>>, events: QueueEvents, url: string, size: number): Promise<number> {
  const created = await fetch(`${stack.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
  const { id } = (await created.json()) as { id: string };
  const t = performance.now();
  const started = await fetch(`${stack.url}/v2/images/${id}/import`, { method: 'POST', headers, body: JSON.stringify({ method: { name: 'web-download', uri: url } }) });
  if (started.status !== 202) throw new Error(`import answered ${started.status}: ${await started.text()}`);
  const [task] = await stack.api.get(TaskRepository).forImage(id);
  const job = await stack.api.get(JobProducer).queueFor(JobName.ImageImport).getJob(task!.id);
  await job!.waitUntilFinished(events, 3_600_000);
  const ms = performance.now() - t;
  const image = (await (await fetch(`${stack.url}/v2/images/${id}`, { headers })).json()) as { status: string; size: number };
  if (image.status !== 'active' || image.size !== size) throw new Error(`import ended ${image.status} with size ${image.size}`);
  await fetch(`${stack.url}/v2/images/${id}`, { method: 'DELETE', headers });
  return ms;
}

/** One upload of `file` into a new image with `curl -T`; the milliseconds it took (the image checked, then deleted). */
async function uploadOnce(stack: Awaited<ReturnType<typeof startBenchStack>>, file: string, size: number): Promise<number> {
  const created = await fetch(`${stack.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
  const { id } = (await created.json()) as { id: string };
  const ms = await curlPut(`${stack.url}/v2/images/${id}/file`, file, ['Expect:', 'Content-Type: application/octet-stream', 'X-Project-Id: bench', 'X-Roles: member']);
  const image = (await (await fetch(`${stack.url}/v2/images/${id}`, { headers })).json()) as { status: string; size: number };
  if (image.status !== 'active' || image.size !== size) throw new Error(`upload ended ${image.status} with size ${image.size}`);
  await fetch(`${stack.url}/v2/images/${id}`, { method: 'DELETE', headers });
  return ms;
}

/** MB/s of MD5 and of SHA-512 alone (one core each) and of both in parallel off the main thread, over `size` bytes from memory. */
async function hashingReferences(size: number): Promise<{ md5: number; sha512: number; parallel: number }> {
  const block = randomBytes(64 * MiB);
  const slices = function* () {
    for (let done = 0; done < size; done += MiB) yield block.subarray(done % block.length, (done % block.length) + MiB);
  };
  const alone: Record<string, number> = {};
  for (const algo of ['md5', 'sha512']) {
    const hash = createHash(algo);
    const t = performance.now();
    for (const slice of slices()) hash.update(slice);
    hash.digest();
    alone[algo] = mbps(size, performance.now() - t);
  }
  const hasher = new ParallelHasher('sha512');
  const t = performance.now();
  for (const slice of slices()) await hasher.update(slice);
  await hasher.digest();
  return { md5: alone.md5!, sha512: alone.sha512!, parallel: mbps(size, performance.now() - t) };
}
