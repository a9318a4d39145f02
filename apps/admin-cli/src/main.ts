/**
 * glimpse-admin: the operator's command line for Glimpse's admin API.
 *
 *   glimpse-admin [--url URL] [--token TOKEN] maintenance run <auditor|replicator|updater|reaper> [--wait]
 *   glimpse-admin [--url URL] [--token TOKEN] maintenance run <cache-prefetcher|cache-pruner|cache-cleaner> [--wait]
 *     (a cache job runs on the API node URL names: each node has its own cache)
 *   glimpse-admin [--url URL] [--token TOKEN] maintenance runs [sweep] [--limit N]
 *
 * URL defaults to $GLIMPSE_URL or http://127.0.0.1:9292; TOKEN to $OS_AUTH_TOKEN (sent as X-Auth-Token).
 */
import { parseArgs } from 'node:util';

interface Run {
  id: string;
  sweep: string;
  status: string;
  trigger: string;
  started_at: string;
  duration_ms: number | null;
  counts: Record<string, number> | null;
  error: string | null;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.GLIMPSE_URL ?? 'http://127.0.0.1:9292' },
    token: { type: 'string', default: process.env.OS_AUTH_TOKEN },
    wait: { type: 'boolean', default: false },
    limit: { type: 'string', default: '25' },
    'timeout-seconds': { type: 'string', default: '3600' },
  },
});

async function call<T>(method: string, path: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (values.token) headers['x-auth-token'] = values.token;
  const res = await fetch(new URL(path, values.url), { method, headers });
  const body = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${body.slice(0, 500)}`);
  return JSON.parse(body) as T;
}

const line = (r: Run) =>
  [r.id, r.status, r.trigger, r.started_at, r.duration_ms === null ? '-' : `${r.duration_ms}ms`, r.error ?? JSON.stringify(r.counts ?? {})].join('\t');

async function main(): Promise<number> {
  const [area, verb, arg] = positionals;
  if (area === 'maintenance' && verb === 'run' && arg) {
    const started = await call<{ job_id: string; run: string }>('POST', `/v2/admin/maintenance/${encodeURIComponent(arg)}`);
    console.log(started.job_id);
    if (!values.wait) return 0;
    const deadline = Date.now() + Number(values['timeout-seconds']) * 1000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      const run = await call<Run>('GET', started.run).catch(() => null);
      if (run && run.status !== 'running') {
        console.log(line(run));
        return run.status === 'succeeded' ? 0 : 1;
      }
    }
    console.error('timed out waiting for the run');
    return 1;
  }
  if (area === 'maintenance' && verb === 'runs') {
    const query = new URLSearchParams({ limit: values.limit! });
    if (arg) query.set('sweep', arg);
    const { runs } = await call<{ runs: Run[] }>('GET', `/v2/admin/maintenance/runs?${query}`);
    for (const r of runs) console.log(line(r));
    return 0;
  }
  console.error('usage: glimpse-admin [--url URL] [--token T] maintenance run <sweep> [--wait] | maintenance runs [sweep] [--limit N]');
  return 64;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
