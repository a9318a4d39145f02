/** Shared pieces of the upload and download benchmarks. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const MiB = 1 << 20;

/** Sizes in MiB from the arguments, else GLIMPSE_BENCH_SIZES_MIB (comma-separated), else 1 GiB and 4 GiB. */
export function benchSizes(args: string[]): number[] {
  const given = args.filter((a) => /^\d+$/.test(a));
  if (given.length) return given.map(Number);
  const env = process.env.GLIMPSE_BENCH_SIZES_MIB;
  return env ? env.split(',').map((s) => Number(s.trim())) : [1024, 4096];
}

/** Interleaved rounds per size (GLIMPSE_BENCH_ROUNDS, else `byDefault`). */
export const benchRounds = (byDefault = 2): number => Math.max(1, Number(process.env.GLIMPSE_BENCH_ROUNDS ?? byDefault));

/**
 * A random file of `sizeMiB` in `dir`: one random GiB (or less) made once from /dev/urandom, repeated with cat
 * (content does not change hashing or copying speed, and it keeps the setup short).
 */
export function randomFile(dir: string, sizeMiB: number): string {
  const base = join(dir, 'random.base');
  const baseMiB = Math.min(sizeMiB, 1024);
  if (!existsSync(base) || statSync(base).size < baseMiB * MiB) {
    execFileSync('sh', ['-c', `head -c ${1024 * MiB} /dev/urandom > '${base}'`]);
  }
  const file = join(dir, `source-${sizeMiB}.bin`);
  if (existsSync(file) && statSync(file).size === sizeMiB * MiB) return file;
  const whole = Math.floor(sizeMiB / 1024);
  const rest = sizeMiB % 1024;
  const parts = [...Array(whole).fill(`cat '${base}'`), ...(rest ? [`head -c ${rest * MiB} '${base}'`] : [])];
  execFileSync('sh', ['-c', `{ ${parts.join('; ')}; } > '${file}'`]);
  return file;
}

export const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/** Milliseconds `command` takes. */
export function timedExec(command: string, args: string[]): number {
  const t = performance.now();
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t;
}

/**
 * `curl -T file` PUT to url (Content-Length, one body) or `curl -o /dev/null` GET, in a child process that does
 * not block this one (the service under test may run here); checks the status (and size); ms taken.
 */
export async function curlPut(url: string, file: string, headers: string[] = []): Promise<number> {
  const { ms, out } = await curlAsync(['-s', '-o', '/dev/null', '-w', '%{http_code}', '-T', file, ...headers.flatMap((h) => ['-H', h]), url]);
  if (!/^2\d\d$/.test(out)) throw new Error(`PUT ${url} answered ${out}`);
  return ms;
}

export async function curlGet(url: string, expectedSize: number, headers: string[] = []): Promise<number> {
  const { ms, out } = await curlAsync(['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', ...headers.flatMap((h) => ['-H', h]), url]);
  const [status, size] = out.trim().split(' ');
  if (status !== '200' || Number(size) !== expectedSize) throw new Error(`GET ${url} answered ${status} with ${size} bytes`);
  return ms;
}

/** The raw rate of node:crypto MD5 + SHA-512 in one loop over the file (1 MiB reads, one core); ms taken. */
export async function hashRateMs(file: string): Promise<{ ms: number; md5: string; sha512: string }> {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  const t = performance.now();
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) {
    md5.update(chunk as Buffer);
    sha512.update(chunk as Buffer);
  }
  const digests = { md5: md5.digest('hex'), sha512: sha512.digest('hex') };
  return { ms: performance.now() - t, ...digests };
}

/** A reference server (support/reference-server.js) in a child process (`pid`: for its CPU time, process-cpu.ts). */
export async function startReference(mode: 'upload' | 'download', file: string): Promise<{ url: string; pid: number; close(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'reference-server.js'), mode, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`reference server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** Samples this process's RSS every 20 ms while `run` runs; returns its result and the peak growth in bytes. */
export async function withPeakRss<T>(run: () => T | Promise<T>): Promise<{ value: T; peakGrowth: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const value = await run();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakGrowth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

/** curl with `args`; resolves with the time it took and what it printed. */
export function curlAsync(args: string[]): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve({ ms: performance.now() - t, out }) : reject(new Error(`curl exited ${code}`))));
  });
}

/**
 * `rounds` rounds of every run, the order rotated every round (two runs swap; three take turns) so none always runs on a machine
 * another warmed.
 */
export async function interleave(rounds: number, ...runs: (() => Promise<unknown>)[]): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < runs.length; i++) await runs[(round + i) % runs.length]!();
  }
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const fmt = (xs: number[], digits = 0): string => [...xs].sort((a, b) => a - b).map((x) => x.toFixed(digits)).join('/');
