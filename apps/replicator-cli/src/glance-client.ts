/** The Glance v2 calls the replicator makes, against one deployment (Glimpse or Glance). */

/** An image as GET /v2/images/{id} shows it: core attributes and custom properties side by side. */
export type ImageDoc = Record<string, unknown> & { id: string; status: string };

export interface ListOptions {
  /** Only public images (`--only-public`); otherwise every image the token can see. */
  onlyPublic: boolean;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const PAGE_SIZE = 100;
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

export type PatchOp = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

export class GlanceClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string | undefined,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /** The deployment's URL, for messages. */
  get url(): string {
    return this.base;
  }

  /**
   * Every active image visible to the token, following `next` links 100 at a time. Hidden images (os_hidden) are
   * left out of default listings, so both halves are listed; an image seen twice (a page boundary moving while an
   * image changes) is kept once.
   */
  async listActive({ onlyPublic }: ListOptions): Promise<ImageDoc[]> {
    const seen = new Map<string, ImageDoc>();
    for (const hidden of ['false', 'true']) {
      const query = new URLSearchParams({ status: 'active', visibility: onlyPublic ? 'public' : 'all', os_hidden: hidden, limit: String(PAGE_SIZE) });
      let path: string | undefined = `/v2/images?${query}`;
      while (path) {
        const page: { images: ImageDoc[]; next?: string } = await this.json('GET', path);
        for (const image of page.images) if (image.status === 'active' && !seen.has(image.id)) seen.set(image.id, image);
        path = page.images.length > 0 ? page.next : undefined;
      }
    }
    return [...seen.values()];
  }

  /** The image, or null when the deployment has none with that id (404). */
  async getImage(id: string): Promise<ImageDoc | null> {
    try {
      return await this.json<ImageDoc>('GET', `/v2/images/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) return null;
      throw err;
    }
  }

  createImage(body: Record<string, unknown>): Promise<ImageDoc> {
    return this.json('POST', '/v2/images', { 'content-type': 'application/json' }, JSON.stringify(body));
  }

  patchImage(id: string, ops: readonly PatchOp[]): Promise<ImageDoc> {
    return this.json('PATCH', `/v2/images/${encodeURIComponent(id)}`, { 'content-type': PATCH_TYPE }, JSON.stringify(ops));
  }

  /** The image's bytes as a stream (nothing is read until the caller reads it). */
  async download(id: string): Promise<ReadableStream<Uint8Array>> {
    const path = `/v2/images/${encodeURIComponent(id)}/file`;
    const res = await this.send('GET', path, { accept: 'application/octet-stream' });
    if (res.status === 204 || !res.body) throw new HttpError(res.status, `GET ${this.base}${path}: the image has no data`);
    return res.body;
  }

  /** PUT the stream as the image's data, chunk by chunk as it arrives (never held whole in memory). */
  async upload(id: string, data: ReadableStream<Uint8Array>): Promise<void> {
    const path = `/v2/images/${encodeURIComponent(id)}/file`;
    let res: Response;
    try {
      res = await this.send('PUT', path, { 'content-type': 'application/octet-stream' }, data);
    } catch (err) {
      await data.cancel().catch(() => undefined);
      throw err;
    }
    const text = await res.text();
    if (!res.ok) throw new HttpError(res.status, `PUT ${this.base}${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }

  private async json<T>(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<T> {
    const res = await this.send(method, path, { accept: 'application/json', ...headers }, body);
    const text = await res.text();
    if (!res.ok) throw new HttpError(res.status, `${method} ${this.base}${path.split('?')[0]}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  private send(method: string, path: string, headers: Record<string, string>, body?: string | ReadableStream<Uint8Array>): Promise<Response> {
    if (this.token) headers = { ...headers, 'x-auth-token': this.token };
    // Links are paths from the API root (`/v2/images?marker=…`); an absolute one is followed as given.
    const url = /^https?:\/\//.test(path) ? path : `${this.base}${path}`;
    return fetch(url, { method, headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' as const } : {}) });
  }
}
