import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SwiftAuthOptions } from '@glimpse/config';
import { conflict, tooLarge, unavailable } from '@glimpse/domain';
import { authenticate, expiresSoon, type SwiftSession } from './swift-auth.js';
import { drain, readText, send, SwiftAgents, type SwiftBody, SwiftTransportError } from './swift-http.js';

export interface SwiftClientOptions {
  auth: SwiftAuthOptions;
  /** A fixed storage URL instead of the one auth returns. */
  storageUrl?: string;
  retries: number;
  timeoutMs: number;
  /** Names the store in errors. */
  storeId: string;
  /** Names per listing page (Swift's container_listing_limit, 10,000 by default). */
  pageSize?: number;
}

export interface SwiftRequest {
  container?: string;
  object?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: SwiftBody;
  signal?: AbortSignal;
  /** Called each time an attempt's whole body has been sent (see SendOptions.onSent). */
  onSent?: () => void;
}

/** One entry of a container listing (format=json). */
export interface SwiftListing {
  name: string;
  bytes: number;
  last_modified: string;
  hash?: string;
  content_type?: string;
}

/** Statuses worth another attempt of an idempotent request (not 507: the store is full, trying again will not help). */
const RETRIED = new Set([408, 429, 500, 502, 503, 504]);

/**
 * A small client for one Swift account on Node's own http: a token kept and renewed before it expires or when
 * Swift answers 401, keep-alive connections, and bounded retries with back-off for requests that can be sent
 * again (every request here is idempotent: bodies are whole buffers). Answers are returned as they come; the
 * caller reads the status. Never puts the token or a key in an error.
 */
export class SwiftClient {
  private readonly agents = new SwiftAgents();
  private session: Promise<SwiftSession> | null = null;
  private resolved: SwiftSession | null = null;
  /** How many tokens this client obtained (the first one and every renewal). */
  authentications = 0;

  constructor(private readonly options: SwiftClientOptions) {}

  /** The account's storage URL (after authenticating when it is not fixed). */
  async storageUrl(): Promise<string> {
    return (await this.current()).storageUrl;
  }

  /**
   * Sends one request, retried on connection failures and 5xx (with back-off: 0.25, 0.5, 1 … s), with a fresh
   * token once on 401. Resolves with Swift's answer (body unread); rejects with a 503 error once retries are spent.
   */
  async request(method: string, target: SwiftRequest = {}): Promise<IncomingMessage> {
    const { retries, timeoutMs, storeId } = this.options;
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      target.signal?.throwIfAborted();
      const session = await this.current();
      let res: IncomingMessage;
      try {
        res = await send(this.url(session, target), { method, headers: { ...target.headers, 'x-auth-token': session.token }, body: target.body, timeoutMs, signal: target.signal, onSent: target.onSent }, this.agents);
      } catch (err) {
        if (!(err instanceof SwiftTransportError)) throw err;
        if (attempt < retries) {
          await this.backOff(attempt, target.signal);
          continue;
        }
        throw unavailable(`Swift store ${storeId}: ${method} ${this.describe(target)} failed after ${attempt + 1} attempts: ${err.message}`);
      }
      if (res.statusCode === 401 && !renewed) {
        drain(res);
        renewed = true;
        this.invalidate(session);
        attempt--; // a renewed token is not a retry
        continue;
      }
      if (RETRIED.has(res.statusCode!) && attempt < retries) {
        drain(res);
        await this.backOff(attempt, target.signal);
        continue;
      }
      return res;
    }
  }

  /** The account's containers whose names start with `prefix` (every page). */
  async *containers(prefix: string): AsyncIterable<string> {
    let marker = '';
    for (;;) {
      const page = (await this.listing(undefined, { prefix, marker, limit: this.options.pageSize ?? 10_000 })) ?? [];
      for (const c of page) yield c.name;
      if (page.length === 0) return;
      marker = page[page.length - 1]!.name;
    }
  }

  /** Every object of a container whose name starts with `prefix`, page after page (by marker). */
  async *objects(container: string, prefix = ''): AsyncIterable<SwiftListing> {
    let marker = '';
    for (;;) {
      const page = (await this.listing(container, { prefix, marker, limit: this.options.pageSize ?? 10_000 })) ?? [];
      yield* page;
      if (page.length === 0) return;
      marker = page[page.length - 1]!.name;
    }
  }

  /**
   * Deletes objects of a container, four at a time; one already gone is fine. Throws a 503 naming how many could
   * not be deleted (after the client's retries), once all were tried.
   */
  async deleteAll(container: string, names: readonly string[]): Promise<void> {
    let next = 0;
    let failed = 0;
    let firstError = '';
    const worker = async () => {
      while (next < names.length) {
        const object = names[next++]!;
        try {
          const res = await this.request('DELETE', { container, object });
          drain(res);
          if (res.statusCode !== 204 && res.statusCode !== 200 && res.statusCode !== 404) throw new Error(`HTTP ${res.statusCode}`);
        } catch (err) {
          failed++;
          firstError ||= `${object}: ${(err as Error).message}`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, names.length) }, worker));
    if (failed) throw unavailable(`Swift store ${this.options.storeId}: ${failed} of ${names.length} objects of ${container} could not be deleted (${firstError})`);
  }

  /** The cluster's limits (GET /info next to /v1; no token needed). */
  async info(): Promise<{ swift?: { max_file_size?: number; container_listing_limit?: number } }> {
    const root = new URL((await this.storageUrl()).replace(/\/v1(\/.*)?$/, '/info'));
    const res = await send(root, { method: 'GET', timeoutMs: this.options.timeoutMs }, this.agents);
    const text = await readText(res);
    if (res.statusCode !== 200) throw unavailable(`Swift store ${this.options.storeId}: GET /info answered ${res.statusCode}`);
    return JSON.parse(text) as { swift?: { max_file_size?: number } };
  }

  /** An error for an answer that was not the expected one (body drained): 409, storage full, or 503. */
  failure(res: IncomingMessage, method: string, target: SwiftRequest): Error {
    drain(res);
    const what = `Swift store ${this.options.storeId}: ${method} ${this.describe(target)} answered HTTP ${res.statusCode}`;
    if (res.statusCode === 409) return conflict(what);
    if (res.statusCode === 413 || res.statusCode === 507) return tooLarge(`${what}: the store is full or the object too large`);
    return unavailable(what);
  }

  close(): void {
    this.agents.destroy();
  }

  private async listing(container: string | undefined, query: { prefix?: string; marker?: string; limit?: number }, signal?: AbortSignal): Promise<SwiftListing[] | null> {
    const q: Record<string, string> = { format: 'json' };
    if (query.prefix) q.prefix = query.prefix;
    if (query.marker) q.marker = query.marker;
    if (query.limit) q.limit = String(query.limit);
    const target = { container, query: q, signal };
    const res = await this.request('GET', target);
    if (res.statusCode === 404) {
      drain(res);
      return null;
    }
    if (res.statusCode === 204) {
      drain(res);
      return [];
    }
    if (res.statusCode !== 200) throw this.failure(res, 'GET', target);
    return JSON.parse(await readText(res, 64 << 20)) as SwiftListing[];
  }

  private current(): Promise<SwiftSession> {
    if (this.resolved && expiresSoon(this.resolved)) this.invalidate(this.resolved);
    return this.session ?? this.renew();
  }

  private renew(): Promise<SwiftSession> {
    const { auth, timeoutMs, storeId, storageUrl } = this.options;
    this.authentications++;
    const pending: Promise<SwiftSession> = authenticate(auth, this.agents, timeoutMs, storeId).then((got) => {
      const session = storageUrl ? { ...got, storageUrl } : got;
      if (this.session === pending) this.resolved = session;
      return session;
    });
    this.session = pending;
    // A failed authentication is not kept: the next request tries again.
    pending.catch(() => {
      if (this.session === pending) this.session = null;
    });
    return pending;
  }

  /** Drops the session when it is still the current one (several requests may see the same 401). */
  private invalidate(session: SwiftSession): void {
    if (this.resolved !== session) return;
    this.resolved = null;
    this.session = null;
  }

  private url(session: SwiftSession, target: SwiftRequest): URL {
    let path = session.storageUrl.replace(/\/+$/, '');
    if (target.container !== undefined) path += `/${encodeURIComponent(target.container)}`;
    if (target.object !== undefined) path += `/${target.object.split('/').map(encodeURIComponent).join('/')}`;
    const url = new URL(path);
    for (const [k, v] of Object.entries(target.query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  private describe(target: SwiftRequest): string {
    return [target.container, target.object].filter((p) => p !== undefined).join('/') || '(account)';
  }

  private async backOff(attempt: number, signal?: AbortSignal): Promise<void> {
    await sleep(Math.min(250 * 2 ** attempt, 4000), undefined, { signal });
  }
}
