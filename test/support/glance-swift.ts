import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { type RunningSwift, swiftTools } from './swift-server.js';

const run = promisify(execFile);

/** The real Glance 25.1 with its Swift store on a test Swift (../shared/tools/swift/start-glance-swift.sh, noauth). */
export interface RunningGlance {
  url: string;
  /** Creates an image, uploads `bytes` to it, and returns its id, location URL and checksums. */
  upload(bytes: Buffer): Promise<{ id: string; location: string; checksum: string; osHashValue: string }>;
  /**
   * Creates an image and adds `url` as its location (PATCH add /locations/-, with the checksums as validation
   * data): Glance's answer, and the image as Glance then shows it.
   */
  register(url: string, validation: { checksum: string; os_hash_algo: string; os_hash_value: string }): Promise<{ status: number; text: string; image?: GlanceImage }>;
  /** GET /v2/images/{id}/file: the status and the bytes. */
  download(id: string): Promise<{ status: number; bytes: Buffer }>;
  /** DELETE /v2/images/{id}: the status (Glance deletes the location's object). */
  remove(id: string): Promise<number>;
  close(): Promise<void>;
}

export interface GlanceImage {
  id: string;
  status: string;
  size: number | null;
  checksum: string | null;
  os_hash_value: string | null;
  locations: { url: string; metadata: Record<string, unknown> }[];
}

const headers = { 'x-auth-token': 'x', 'x-roles': 'admin', 'x-tenant-id': 'admin' };

/** `env`: GLANCE_SWIFT_LARGE_MB, GLANCE_SWIFT_CHUNK_MB (glance_store's MB = 1,024,000 B), GLANCE_SWIFT_CONFIG_FILE … */
export async function startGlanceSwift(swift: RunningSwift, env: Record<string, string> = {}): Promise<RunningGlance> {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-glance-'));
  const port = await freePort();
  const tools = swiftTools();
  try {
    await run('bash', [join(tools, 'start-glance-swift.sh'), swift.dataDir, String(port), dir], { env: { ...process.env, ...env }, timeout: 600_000, maxBuffer: 16 << 20 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`start-glance-swift.sh failed: ${(err as { stderr?: string }).stderr?.slice(-2000) ?? err}`);
  }
  const url = `http://127.0.0.1:${port}`;
  const create = async () => {
    const created = await fetch(`${url}/v2/images`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from-glance', disk_format: 'raw', container_format: 'bare' }),
    });
    if (created.status !== 201) throw new Error(`Glance create: ${created.status} ${await created.text()}`);
    return ((await created.json()) as { id: string }).id;
  };
  return {
    url,
    async upload(bytes) {
      const id = await create();
      const put = await fetch(`${url}/v2/images/${id}/file`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: bytes });
      if (put.status !== 204) throw new Error(`Glance upload: ${put.status} ${await put.text()}`);
      const image = (await (await fetch(`${url}/v2/images/${id}`, { headers })).json()) as { locations: { url: string }[]; checksum: string; os_hash_value: string };
      return { id, location: image.locations[0]!.url, checksum: image.checksum, osHashValue: image.os_hash_value };
    },
    async register(location, validation) {
      const id = await create();
      const res = await fetch(`${url}/v2/images/${id}`, {
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'application/openstack-images-v2.1-json-patch' },
        body: JSON.stringify([{ op: 'add', path: '/locations/-', value: { url: location, metadata: {}, validation_data: validation } }]),
      });
      const text = await res.text();
      if (res.status !== 200) return { status: res.status, text };
      const image = (await (await fetch(`${url}/v2/images/${id}`, { headers })).json()) as GlanceImage;
      return { status: res.status, text, image };
    },
    async download(id) {
      const res = await fetch(`${url}/v2/images/${id}/file`, { headers });
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    },
    async remove(id) {
      const res = await fetch(`${url}/v2/images/${id}`, { method: 'DELETE', headers });
      await res.body?.cancel();
      return res.status;
    },
    async close() {
      await run('bash', [join(tools, 'stop-glance-swift.sh'), dir], { timeout: 60_000 }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
