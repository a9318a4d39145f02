import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const member = { accept: 'application/json', 'x-project-id': 'p1', 'x-roles': 'member' };
export const admin = { accept: 'application/json', 'x-project-id': 'p-admin', 'x-roles': 'admin' };

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request with a Buffer body (Content-Length) or an iterable of chunks (chunked). */
export function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer | Iterable<Buffer>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // A server that answers early (413) may close while we still write: the answer is what counts.
    req.on('error', reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else if (body) {
      for (const chunk of body) if (!req.destroyed) req.write(chunk);
      req.end();
    } else req.end();
  });
}

export async function createImage(url: string, headers: Record<string, string> = member, body: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${url}/v2/images`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'data', disk_format: 'raw', container_format: 'bare', ...body }),
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export async function showImage(url: string, id: string, headers: Record<string, string> = member): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/v2/images/${id}`, { headers })).json()) as Record<string, unknown>;
}

/** Polls the image until check holds (a bound against hangs, not a speed assertion). */
export async function waitForImage(url: string, id: string, check: (image: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  for (let i = 0; i < 300; i++) {
    last = await showImage(url, id, admin);
    if (check(last)) return last;
    await sleep(100);
  }
  throw new Error(`image ${id} never reached the expected state: ${JSON.stringify(last)}`);
}

/** `md5sum` and `sha512sum` of the bytes, as the coreutils programs print them. */
export function coreutilsDigests(bytes: Buffer): { md5: string; sha512: string } {
  const file = join(tmpdir(), `glimpse-digest-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, bytes);
  try {
    const digest = (program: string) => execFileSync(program, [file], { encoding: 'utf8' }).split(/\s+/)[0]!;
    return { md5: digest('md5sum'), sha512: digest('sha512sum') };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Every file under dir (recursively), so a test can show nothing was left behind. */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

export const octet = (headers: Record<string, string> = member) => ({ ...headers, 'content-type': 'application/octet-stream' });

/** Chunks of `bytes`, `size` at a time (sent chunked). */
export function* chunks(bytes: Buffer, size = 65536): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A source that sends `bytes` in 64 KiB chunks, then fails (a client gone mid-body). */
export function failingSource(bytes: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield* chunks(bytes);
      throw new Error('source failed');
    })(),
  );
}
