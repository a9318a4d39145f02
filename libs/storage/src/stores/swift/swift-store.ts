import type { Readable } from 'node:stream';
import type { SwiftStoreOptions } from '@glimpse/config';
import { invalid, unavailable } from '@glimpse/domain';
import type { HashingTap } from '../../hashing/hashing-tap.js';
import type { SlotSink } from '../../hashing/parallel-hasher.js';
import { type ByteRange, type GetOptions, type PutOptions, type PutResult, type Store } from '../../store.js';
import { SwiftClient } from './swift-client.js';
import { drain, header } from './swift-http.js';
import { redact } from '@glimpse/web-download';
import { parseSwiftLocation, swiftConfigLocation } from './swift-location.js';
import { imageContainer, segmentOwner } from './swift-names.js';
import { openObject } from './swift-object-reader.js';
import { SwiftObjectWriter } from './swift-object-writer.js';

interface Resolved {
  client: SwiftClient;
  container: string;
  object: string;
  label: string;
}

/**
 * Images in an OpenStack Swift account, laid out as Glance's Swift store lays them out (one object, or
 * segments plus a DLO manifest; Glance's container naming), so either can read and delete what the other
 * wrote. Locations are `swift+config://<reference>/<container>/<image id>` (no secret); every form Glance
 * writes is read. Credentials stay in the configuration.
 */
export class SwiftStore implements Store {
  readonly type = 'swift' as const;
  readonly readOnly = false;
  readonly client: SwiftClient;
  /** Clients for locations that carry other credentials (Glance's inline `user:key@` form), by auth URL and user. */
  private readonly others = new Map<string, SwiftClient>();
  private readonly containers = new Set<string>();
  private limitsChecked: Promise<void> | null = null;

  constructor(
    readonly id: string,
    private readonly options: SwiftStoreOptions,
    readonly weight = 0,
    readonly description?: string,
  ) {
    this.client = new SwiftClient({ auth: options.auth, storageUrl: options.storageUrl, retries: options.retries, timeoutMs: options.timeoutMs, storeId: id, pageSize: options.listingLimit });
  }

  async put(imageId: string, source: Readable, options: PutOptions = {}): Promise<PutResult> {
    // Not destroyed when the writer stops early: the iterator's own destroy would fail the source with an
    // AbortError that hides the writer's error (a 503 from Swift would become a 500).
    return this.writing(imageId, source, options, (writer) => writer.write(source.iterator({ destroyOnReturn: false })));
  }

  /** The image writer's path: the hasher's ring slots are copied straight into the segments' buffers (no stream stage). */
  async putSlots(imageId: string, source: HashingTap, options: PutOptions = {}): Promise<PutResult> {
    // Slots that fill while the container is checked wait (the ring holds them) until the writer takes them.
    const early: Parameters<SlotSink>[] = [];
    let sink: SlotSink = (...call) => void early.push(call);
    const sunk = source.sinkSlots((slots, offset, done) => sink(slots, offset, done));
    sunk.catch(() => undefined); // a failure before the writer exists is the setup's
    return this.writing(imageId, source, options, async (writer) => {
      sink = writer.sink;
      for (const call of early.splice(0)) writer.sink(...call);
      try {
        await Promise.race([sunk, writer.failed]);
        return await writer.finish();
      } catch (err) {
        await writer.abandon();
        throw err;
      }
    });
  }

  /** One write into the image's container: aborted by the signal (the source destroyed), cleaned up on failure. */
  private async writing(imageId: string, source: Readable, options: PutOptions, write: (writer: SwiftObjectWriter) => Promise<number>): Promise<PutResult> {
    if (!/^[\w-]+$/.test(imageId)) throw invalid(`Invalid image id ${imageId}`);
    const container = imageContainer(this.options.container, this.options.containerSeed, imageId);
    const controller = new AbortController();
    const abort = () => {
      const reason = options.signal?.reason instanceof Error ? options.signal.reason : new Error('The write was aborted.');
      controller.abort(reason);
      source.destroy(reason);
    };
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      await this.checkLimits();
      await this.ensureContainer(container, controller.signal);
      const size = await write(new SwiftObjectWriter(this.client, container, imageId, this.options, controller.signal, options.sizeHint));
      if (source.errored) throw source.errored;
      return { location: swiftConfigLocation(this.options.reference, container, imageId), size };
    } catch (err) {
      source.destroy();
      throw source.errored ?? (controller.signal.aborted ? controller.signal.reason : err);
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  }

  async get(location: string, range?: ByteRange, options: GetOptions = {}): Promise<Readable> {
    return openObject(this.resolve(location), range, options.size ?? undefined, this.options.readResumes);
  }

  async stat(location: string): Promise<{ size: number } | null> {
    const target = this.resolve(location);
    const res = await target.client.request('HEAD', target);
    drain(res);
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw target.client.failure(res, 'HEAD', target);
    return { size: Number(header(res, 'content-length')) };
  }

  /**
   * Removes an image: an SLO with its segments (multipart-manifest=delete); a DLO's segments (every page of its
   * prefix) after its manifest; a plain object. Segments `<object>-NNNNN` left next to it are removed too, so a
   * delete repeated after a failure finishes the job. Already gone is not an error.
   */
  async delete(location: string): Promise<void> {
    const target = this.resolve(location);
    const { client, container, object } = target;
    const head = await client.request('HEAD', target);
    drain(head);
    if (head.statusCode !== 200 && head.statusCode !== 404) throw client.failure(head, 'HEAD', target);
    const slo = head.statusCode === 200 && /^true$/i.test(header(head, 'x-static-large-object') ?? '');
    const manifest = head.statusCode === 200 ? header(head, 'x-object-manifest') : undefined;
    if (head.statusCode === 200) {
      const request = { container, object, query: slo ? { 'multipart-manifest': 'delete' } : undefined };
      const res = await client.request('DELETE', request);
      drain(res);
      if (![200, 204, 404].includes(res.statusCode!)) throw client.failure(res, 'DELETE', request);
    }
    const prefixes = new Map<string, string>([[container, `${object}-`]]);
    if (manifest) {
      const [segmentContainer, ...rest] = decodeURIComponent(manifest).split('/');
      if (segmentContainer && rest.length) prefixes.set(segmentContainer, rest.join('/'));
    }
    for (const [segmentContainer, prefix] of prefixes) {
      const names: string[] = [];
      // A DLO's segments are everything under its prefix; next to an image, only names shaped like its segments.
      const any = segmentContainer !== container || prefix !== `${object}-` || !!manifest;
      for await (const entry of client.objects(segmentContainer, prefix)) {
        if (any || segmentOwner(entry.name) === object) names.push(entry.name);
      }
      await client.deleteAll(segmentContainer, names);
    }
  }

  /** Every image of the store's containers (with a seed, every `<container>_…` one): plain objects and manifests, not segments. */
  async *listObjects(): AsyncIterable<{ location: string; imageId: string; modifiedMs: number }> {
    for await (const container of this.imageContainers()) {
      for await (const entry of this.client.objects(container)) {
        if (segmentOwner(entry.name) !== null) continue;
        yield { location: swiftConfigLocation(this.options.reference, container, entry.name), imageId: entry.name, modifiedMs: swiftTime(entry.last_modified) };
      }
    }
  }

  /**
   * Segments whose image has no object or manifest (a writer killed mid-upload, a failed clean-up) and whose
   * newest segment is older than `idleMs` (a live writer adds one per segment size) are deleted.
   */
  async removeStalePartials(idleMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for await (const container of this.imageContainers()) {
      const images = new Set<string>();
      let group = null as { owner: string; names: string[]; newest: number } | null;
      const settle = async () => {
        if (!group || images.has(group.owner) || now - group.newest < idleMs) return;
        // The listing is a snapshot: make sure the image did not appear meanwhile.
        const head = await this.client.request('HEAD', { container, object: group.owner });
        drain(head);
        if (head.statusCode !== 404) return;
        await this.client.deleteAll(container, group.names);
        removed += group.names.length;
      };
      for await (const entry of this.client.objects(container)) {
        const owner = segmentOwner(entry.name);
        if (owner === null) {
          images.add(entry.name);
          continue;
        }
        if (group?.owner !== owner) {
          await settle();
          group = { owner, names: [], newest: 0 };
        }
        group.names.push(entry.name);
        group.newest = Math.max(group.newest, swiftTime(entry.last_modified));
      }
      await settle();
    }
    return removed;
  }

  /**
   * A location Glance wrote into this store's account (any form: swift+config with this reference, inline
   * credentials of this account, the account's storage URL) becomes `swift+config://<reference>/<container>/<id>`,
   * the form listObjects reports, so the auditor recognises it; credentials are dropped. Its object must be named
   * by the image id (as Glance names it) and exist. Locations of other accounts are refused.
   */
  async adoptLocation(url: string, imageId: string): Promise<string> {
    const target = this.resolve(url);
    if (target.client !== this.client) {
      const other = parseSwiftLocation(url);
      const sameAccount = other.kind === 'storage' && sameUrl(other.storageUrl, await this.client.storageUrl());
      if (!sameAccount) throw invalid(`Location ${redact(url)} is in another Swift account than store ${this.id}'s`);
    }
    if (target.object !== imageId) throw invalid(`Location ${redact(url)} names object ${target.object}: register it under that image id`);
    if (!(await this.stat(url))) throw invalid(`Location ${redact(url)} has no object in store ${this.id}`);
    return swiftConfigLocation(this.options.reference, target.container, target.object);
  }

  properties(): Record<string, unknown> {
    const authUrl = new URL(this.options.auth.url);
    authUrl.username = '';
    authUrl.password = '';
    return {
      container: this.options.container,
      multiple_containers_seed: this.options.containerSeed,
      reference: this.options.reference,
      auth_url: authUrl.href,
      auth_version: this.options.auth.version,
      storage_url: this.options.storageUrl ?? null,
      large_object_size: this.options.largeObjectSize,
      segment_size: this.options.segmentSize,
    };
  }

  async close(): Promise<void> {
    this.client.close();
    for (const other of this.others.values()) other.close();
  }

  /** The containers images of this store may be in. */
  private async *imageContainers(): AsyncIterable<string> {
    const base = this.options.container;
    for await (const name of this.client.containers(base)) {
      if (name === base || (this.options.containerSeed > 0 && name.startsWith(`${base}_`))) yield name;
    }
  }

  /** HEAD the container once; create it when missing and allowed, else a clear error (Glance: a 500). */
  private async ensureContainer(container: string, signal: AbortSignal): Promise<void> {
    if (this.containers.has(container)) return;
    const target = { container, signal };
    const head = await this.client.request('HEAD', target);
    drain(head);
    if (head.statusCode === 404) {
      if (!this.options.createContainer) {
        throw unavailable(`Swift store ${this.id}: container ${container} does not exist (create it, or set create_container_on_put)`);
      }
      const res = await this.client.request('PUT', target);
      drain(res);
      if (res.statusCode !== 201 && res.statusCode !== 202) throw this.client.failure(res, 'PUT', target);
    } else if (head.statusCode! < 200 || head.statusCode! >= 300) {
      throw this.client.failure(head, 'HEAD', target);
    }
    this.containers.add(container);
  }

  /**
   * Swift's own limit (GET /info max_file_size) against the configured sizes, once: a single PUT below the
   * large-object size and every segment must fit, or the first large image would fail.
   */
  private checkLimits(): Promise<void> {
    this.limitsChecked ??= this.client.info().then(
      (info) => {
        const max = info.swift?.max_file_size;
        if (max && (this.options.segmentSize > max || this.options.largeObjectSize - 1 > max)) {
          throw invalid(`Swift store ${this.id}: segment_size ${this.options.segmentSize} and large_object_size ${this.options.largeObjectSize} must be at most Swift's max_file_size ${max}`);
        }
      },
      () => undefined, // a cluster without /info: nothing to check
    );
    return this.limitsChecked;
  }

  /** The account, container and object a location names (this store's reference and hosts only). */
  private resolve(location: string): Resolved {
    const parsed = parseSwiftLocation(location);
    const label = `Swift object ${redact(location)}`;
    const { container, object } = parsed;
    if (parsed.kind === 'config') {
      if (parsed.reference !== this.options.reference) throw invalid(`Location ${location} is not in store ${this.id} (reference ${this.options.reference})`);
      return { client: this.client, container, object, label };
    }
    if (parsed.kind === 'storage') {
      this.assertOwnHost(parsed.storageUrl, location);
      return { client: this.clientFor(`storage ${parsed.storageUrl}`, () => ({ ...this.options.auth }), parsed.storageUrl), container, object, label };
    }
    this.assertOwnHost(parsed.authUrl, location);
    const own = this.options.auth;
    if (sameUrl(parsed.authUrl, own.url) && own.version === 1 && own.user === parsed.user && own.key === parsed.key) {
      return { client: this.client, container, object, label };
    }
    const client = this.clientFor(`auth ${parsed.authUrl} ${parsed.user}:${parsed.key}`, () => inlineAuth(parsed.authUrl, parsed.user, parsed.key));
    return { client, container, object, label };
  }

  /** Locations may only point at this store's own Swift (its auth or storage host): never at another server. */
  private assertOwnHost(url: string, location: string): void {
    const hosts = [this.options.auth.url, this.options.storageUrl].filter((u): u is string => !!u).map((u) => new URL(u).host);
    if (!hosts.includes(new URL(url).host)) throw invalid(`Location ${redact(location)} is not in store ${this.id} (another host)`);
  }

  private clientFor(key: string, auth: () => SwiftStoreOptions['auth'], storageUrl?: string): SwiftClient {
    let client = this.others.get(key);
    if (!client) {
      client = new SwiftClient({ auth: auth(), storageUrl, retries: this.options.retries, timeoutMs: this.options.timeoutMs, storeId: this.id, pageSize: this.options.listingLimit });
      this.others.set(key, client);
    }
    return client;
  }
}

/** Glance's inline credentials: v1 unless the auth URL is Keystone's v3 (then the user is `project:user`, default domains). */
function inlineAuth(url: string, user: string, key: string): SwiftStoreOptions['auth'] {
  if (!/\/v3\/?$/.test(url)) return { version: 1, url, user, key };
  const colon = user.indexOf(':');
  return {
    version: 3,
    url,
    user: colon >= 0 ? user.slice(colon + 1) : user,
    projectName: colon >= 0 ? user.slice(0, colon) : undefined,
    password: key,
    userDomainId: 'default',
    projectDomainId: 'default',
    interface: 'public',
    serviceType: 'object-store',
  };
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** Swift listings give UTC times without a zone. */
function swiftTime(value: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}
