/**
 * Concurrent clients for a throughput figure, run in a worker thread: the API under test runs in the benchmark's
 * own process, and clients in its event loop would spend that loop's CPU on their side of each request (fetch's
 * client, ~1.4 ms a create on this machine, more than the create itself), which no outside client takes from a
 * server. The worker has an event loop of its own, as a client on another host would.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface LoadRequest {
  url: string;
  method?: string;
  headers: Record<string, string>;
  body?: string;
}

interface Job {
  request: LoadRequest;
  clients: number;
  seconds: number;
}

/** Requests per second that `clients` concurrent clients get through in `seconds` (each status below 400). */
export async function throughputFrom(request: LoadRequest, clients: number, seconds: number): Promise<number> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { request, clients, seconds } satisfies Job });
  try {
    return await new Promise<number>((resolve, reject) => {
      worker.once('message', (m: { rate?: number; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m.rate!)));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`load worker exited with ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}

async function run({ request, clients, seconds }: Job): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const res = await fetch(request.url, { method: request.method ?? 'GET', headers: request.headers, body: request.body });
      await res.arrayBuffer();
      if (res.status >= 400) throw new Error(`${request.method ?? 'GET'} ${request.url}: ${res.status}`);
      done++;
    }
  }));
  // Over the time actually taken: requests slower than the window would otherwise inflate the rate.
  return done / ((performance.now() - start) / 1000);
}

if (!isMainThread && (workerData as Partial<Job> | null)?.request) {
  run(workerData as Job).then(
    (rate) => parentPort!.postMessage({ rate }),
    (err: unknown) => parentPort!.postMessage({ error: String(err) }),
  );
}
