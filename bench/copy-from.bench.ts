/**
 * `npm run bench -- copy-from [size-MiB]` (default 1024; GLIMPSE_BENCH_ROUNDS rounds, default 3): a v1 copy-from
 * (`POST /v1/images` with `x-glance-api-copy-from`, the job on the image-import queue) of a random image served
 * by a local HTTP server in its own process, next to, in the same run and on the same bytes and disk:
 *   - web-download: the v2 import of the same URL (the same worker path; what copy-from must match);
 *   - download:     `curl -o` of the same URL to a file beside the store.
 * The three run round by round in rotating order. Prints MB/s (min/max over rounds) and the ratios of medians.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import { JobName, QueueName } from '@glimpse/contracts';
import { TaskRepository } from '@glimpse/persistence';
import { JobProducer, redisOptions } from '@glimpse/queue';
import { importOnce } from './import.bench.js';
import { type BenchStack, startBenchStack } from './support/bench-stack.js';
import { benchRounds, curlAsync, fmt, mbps, median, randomFile, startReference } from './support/data-bench.js';

const headers = { 'x-project-id': 'bench', 'x-roles': 'member' };

export default async function copyFromBench(args: string[]): Promise<void> {
  const sizeMiB = Number(args[0] ?? 1024);
  const rounds = benchRounds(3);
  const work = mkdtempSync(join(process.env.GLIMPSE_BENCH_DIR ?? tmpdir(), 'glimpse-bench-copy-from-'));
  const source = randomFile(work, sizeMiB);
  const size = statSync(source).size;
  execFileSync('sync');
  const server = await startReference('download', source);
  const url = `${server.url}/file`;
  const stack = await startBenchStack({
    GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
    GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: new URL(url).port,
    WORKER_QUEUES: 'image-import',
  });
  const events = new QueueEvents(QueueName.ImageImport, { connection: redisOptions(stack.config.redis.url, 'queue') as ConnectionOptions, prefix: stack.config.queue.prefix });
  try {
    await events.waitUntilReady();
    const plain = join(stack.config.dataDir, 'plain.raw');
    const curl: number[] = [];
    const web: number[] = [];
    const copy: number[] = [];
    const runs = [
      async () => {
        const { ms } = await curlAsync(['-sf', '-o', plain, url]);
        if (statSync(plain).size !== size) throw new Error('the plain download is short');
        rmSync(plain);
        curl.push(mbps(size, ms));
      },
      async () => web.push(mbps(size, await importOnce(stack, events, url, size))),
      async () => copy.push(mbps(size, await copyFromOnce(stack, events, url, size))),
    ];
    for (let round = 0; round < rounds; round++) for (let i = 0; i < runs.length; i++) await runs[(round + i) % runs.length]!();
    console.log(`v1 copy-from of ${sizeMiB} MiB from 127.0.0.1 (page-cached source), ${rounds} rounds in rotating order; MB/s = 10^6 B/s, min/max over rounds`);
    console.log(`  curl download to disk      ${fmt(curl).padStart(20)} MB/s   (reference)`);
    console.log(`  v2 web-download import     ${fmt(web).padStart(20)} MB/s`);
    console.log(`  v1 copy-from               ${fmt(copy).padStart(20)} MB/s`);
    console.log(`  ratio of medians copy-from/web-download ${(median(copy) / median(web)).toFixed(2)}, copy-from/download ${(median(copy) / median(curl)).toFixed(2)}`);
  } finally {
    await events.close();
    await stack.close();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One copy-from into a new image; the milliseconds from the POST until its job finished (the image then active). */
async function copyFromOnce(stack: BenchStack, events: QueueEvents, url: string, size: number): Promise<number> {
  const t = performance.now();
  const created = await fetch(`${stack.url}/v1/images`, {
    method: 'POST',
    headers: {
      ...headers, 'content-type': 'application/octet-stream', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
      'x-glance-api-copy-from': url,
    },
  });
  if (created.status !== 201) throw new Error(`copy-from answered ${created.status}: ${await created.text()}`);
  const { image } = (await created.json()) as { image: { id: string } };
  const [task] = await stack.api.get(TaskRepository).forImage(image.id);
  const job = await stack.api.get(JobProducer).queueFor(JobName.ImageImport).getJob(task!.id);
  await job!.waitUntilFinished(events, 3_600_000);
  const ms = performance.now() - t;
  const head = await fetch(`${stack.url}/v1/images/${image.id}`, { method: 'HEAD', headers });
  if (head.headers.get('x-image-meta-status') !== 'active' || Number(head.headers.get('x-image-meta-size')) !== size) {
    throw new Error(`copy-from ended ${head.headers.get('x-image-meta-status')} with size ${head.headers.get('x-image-meta-size')}`);
  }
  await fetch(`${stack.url}/v1/images/${image.id}`, { method: 'DELETE', headers });
  return ms;
}
