/**
 * `npm run bench -- import [size-MiB]` (default 1024): a web-download import of a random image served by a local
 * HTTP server, through the API and a worker in this process (MongoDB/Redis as for `npm start`), next to two
 * references measured in the same run on the same bytes:
 *   - download: `curl -o` of the same URL to a file on the same disk (what the import must approach);
 *   - hashing:  MD5 and SHA-512 of the same bytes, each alone on one core, and both in parallel off the main
 *               thread as the import does (with two cores, that is the import's ceiling).
 * Prints MB/s of each and the import's ratio to the plain download (target ≥ 0.8).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import { JobName, QueueName } from '@glimpse/contracts';
import { TaskRepository } from '@glimpse/persistence';
import { JobProducer, redisOptions } from '@glimpse/queue';
import { ParallelHasher } from '@glimpse/storage';
import { startBenchStack } from './support/bench-stack.js';

const MiB = 1 << 20;
const run = promisify(execFile);
/** A static file server for one file (argv[1]); prints its port. */
const SERVE = `
const http = require('node:http'), fs = require('node:fs');
const file = process.argv[1], size = fs.statSync(file).size;
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-length': size }); fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res); });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);

export default async function importBench(args: string[]): Promise<void> {
  const sizeMiB = Number(args[0] ?? 1024);
  const work = mkdtempSync(join(tmpdir(), 'glimpse-bench-import-'));
  const source = join(work, 'disk.raw');
  execFileSync('sh', ['-c', `head -c ${sizeMiB * MiB} /dev/urandom > ${source}`]);
  const size = statSync(source).size;
  // The source server runs in its own process, as a remote web server would: it takes no CPU from the import.
  const server = spawn(process.execPath, ['-e', SERVE, source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  const url = `http://127.0.0.1:${port}/disk.raw`;
  const stack = await startBenchStack({
    GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
    GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: String(port),
    WORKER_QUEUES: 'image-import',
  });
  try {
    // Reference 1: plain download to a file on the same disk.
    let t = performance.now();
    await run('curl', ['-sf', '-o', join(work, 'plain.raw'), url]); // async: this process serves the URL
    const downloadMs = performance.now() - t;
    rmSync(join(work, 'plain.raw'));

    // Reference 2: each hash alone over the bytes (read from the page cache).
    const hashMs: Record<string, number> = {};
    for (const algo of ['md5', 'sha512']) {
      const hash = createHash(algo);
      t = performance.now();
      for await (const chunk of createReadStream(source, { highWaterMark: MiB })) hash.update(chunk as Buffer);
      hash.digest();
      hashMs[algo] = performance.now() - t;
    }

    // Reference 3: the two hashes the import computes, in parallel off the main thread, from memory: the ceiling.
    const block = randomBytes(64 * MiB);
    const hasher = new ParallelHasher('sha512');
    t = performance.now();
    for (let done = 0; done < size; done += MiB) await hasher.update(block.subarray(done % block.length, (done % block.length) + MiB));
    await hasher.digest();
    const parallelMs = performance.now() - t;

    // The import.
    const headers = { 'content-type': 'application/json', 'x-project-id': 'bench', 'x-roles': 'member' };
    const created = await fetch(`${stack.url}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ disk_format: 'raw', container_format: 'bare' }) });
    const { id } = (await created.json()) as { id: string };
    const events = new QueueEvents(QueueName.ImageImport, { connection: redisOptions(stack.config.redis.url, 'queue') as ConnectionOptions, prefix: stack.config.queue.prefix });
    await events.waitUntilReady();
    t = performance.now();
    const started = await fetch(`${stack.url}/v2/images/${id}/import`, { method: 'POST', headers, body: JSON.stringify({ method: { name: 'web-download', uri: url } }) });
    if (started.status !== 202) throw new Error(`import answered ${started.status}: ${await started.text()}`);
    const [task] = await stack.api.get(TaskRepository).forImage(id);
    const job = await stack.api.get(JobProducer).queueFor(JobName.ImageImport).getJob(task!.id);
    await job!.waitUntilFinished(events, 3_600_000);
    const importMs = performance.now() - t;
    await events.close();
    const image = (await (await fetch(`${stack.url}/v2/images/${id}`, { headers })).json()) as { status: string; size: number };
    if (image.status !== 'active' || image.size !== size) throw new Error(`import ended ${image.status} with size ${image.size}`);

    console.log(`web-download import of ${sizeMiB} MiB (page-cached source on 127.0.0.1)`);
    console.log(`  curl download to disk    ${mbps(size, downloadMs).padStart(6)} MB/s   (reference)`);
    console.log(`  md5 alone, one core      ${mbps(size, hashMs.md5!).padStart(6)} MB/s`);
    console.log(`  sha512 alone, one core   ${mbps(size, hashMs.sha512!).padStart(6)} MB/s`);
    console.log(`  md5+sha512 in parallel   ${mbps(size, parallelMs).padStart(6)} MB/s   (the import's hashing alone: its ceiling on this machine)`);
    console.log(`  import (API → worker → file store, md5+sha512 in the same pass)`);
    console.log(`                           ${mbps(size, importMs).padStart(6)} MB/s   = ${(downloadMs / importMs).toFixed(2)} × the plain download (target ≥ 0.80), ${(parallelMs / importMs).toFixed(2)} × the hashing ceiling`);
  } finally {
    await stack.close();
    server.kill();
    rmSync(work, { recursive: true, force: true });
  }
}
