import { Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { JobName } from '@glimpse/contracts';
import {
  conflict,
  forbidden,
  ImageStatus,
  invalid,
  locationSizeMismatch,
  parseValidation,
  type RequestContext,
  type ValidationData,
} from '@glimpse/domain';
import { ImportOwner } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { type Store, StoreRegistry } from '@glimpse/storage';
import { DEFAULT_URL_FILTER, redact, screenUrl } from '@glimpse/web-download';
import { ImageAccess } from '../images/image-access.service.js';

/** The schemes of Glance's Swift store locations. */
const SWIFT_URL = /^swift(\+https?|\+config)?:\/\//i;

/**
 * Glance 2.17's Location API: a queued image gets its data from a URL (an http store location, or for admins a
 * Swift location of an image Glance wrote into a swift store's account, recorded credential-free). Unlike Glance,
 * the image is not active before its data is verified: it waits in `importing` (holding the import lock) while
 * the checksum job reads the data once, checks the format as an upload's is checked, hashes it and compares it
 * with validation_data (when given). It turns active only if all passes, and goes back to `queued` without the
 * location if anything fails (a hostile image, a refused address or redirect, a mismatch). Progress is a
 * `location_import` task.
 */
@Injectable()
export class LocationsService {
  constructor(
    private readonly owner: ImportOwner,
    private readonly access: ImageAccess,
    private readonly stores: StoreRegistry,
    private readonly producer: JobProducer,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
    @InjectConfig('storage') private readonly storage: ConfigOf<'storage'>,
  ) {}

  /**
   * Adds the location (the image `importing`) and queues its checks; resolves with its task's and checking job's
   * ids. `size`: the data must be that many bytes when it is not empty (a v1 location registered with a size).
   */
  async add(ctx: RequestContext, imageId: string, body: unknown, { size }: { size?: number } = {}): Promise<{ taskId: string; jobId: string }> {
    const parsed = this.parse(body);
    const { validation } = parsed;
    // A size in validation_data is checked like a v1 location's size; two that disagree cannot both hold.
    if (validation?.size !== undefined && size !== undefined && validation.size !== size) throw invalid(locationSizeMismatch(size, validation.size));
    size ??= validation?.size;
    const image = await this.access.permitted(ctx, imageId, 'set_image_location');
    if (image.status !== ImageStatus.Queued) throw conflict(`Image status transition from ${image.status} to importing is not allowed`);
    if (!image.diskFormat || !image.containerFormat) throw invalid('Properties disk_format, container_format must be set prior to adding a location.');
    const { store, url } = SWIFT_URL.test(parsed.url) ? await this.adopted(ctx, imageId, parsed.url) : this.httpStore(parsed.url);

    const location = { url, store: store.id, metadata: { store: store.id }, status: 'active' as const };
    // One job checks the format and the checksums (one read of the URL); the image turns active after it.
    const checking = (taskId: string) => `${taskId}-checksum`;
    const taskId = await this.owner.start({
      type: 'location_import',
      imageId,
      owner: image.owner,
      input: {
        loc_url: redact(url),
        validation_data: {
          ...(validation && { os_hash_algo: validation.osHashAlgo, os_hash_value: validation.osHashValue }),
          ...(size !== undefined && { size }),
        },
      },
      requestId: null,
      userId: ctx.userId,
      check: (current) => {
        if (current.status !== ImageStatus.Queued) throw conflict(`Image status transition from ${current.status} to importing is not allowed`);
      },
      // Undone, if the checks cannot be queued, by the import owner's "back to queued" rule (the location dropped).
      changes: () => ({ status: ImageStatus.Importing, locations: [location] }),
      enqueue: (id) => this.producer.enqueue(JobName.ImageChecksum, { imageId, store: store.id, taskId: id }, { jobId: checking(id) }),
      unqueued: 'The checks of the location could not be queued',
    });
    return { taskId, jobId: checking(taskId) };
  }

  private httpStore(url: string): { store: Store; url: string } {
    const store = this.stores.stores.find((s) => s.type === 'http');
    if (!store) throw invalid('Locations need an http store, and none is configured (GLIMPSE_STORES).');
    return { store, url };
  }

  /**
   * A Swift location (an image Glance wrote into the same Swift): admins only, since it names bytes in the
   * service's own account; the store that owns it records it in its credential-free form.
   */
  private async adopted(ctx: RequestContext, imageId: string, url: string): Promise<{ store: Store; url: string }> {
    if (!ctx.isAdmin) throw forbidden('Only admins may add a location in a Swift store.');
    const candidates = this.stores.stores.filter((s) => s.adoptLocation);
    if (!candidates.length) throw invalid('Swift locations need a swift store, and none is configured (GLIMPSE_STORES).');
    let refusal: unknown;
    for (const store of candidates) {
      try {
        return { store, url: await store.adoptLocation!(url, imageId) };
      } catch (err) {
        refusal ??= err;
      }
    }
    throw refusal;
  }

  /** GET: the image's locations (admin only: URLs may carry credentials). */
  async list(ctx: RequestContext, imageId: string): Promise<{ url: string; metadata: Record<string, unknown> }[]> {
    const image = await this.access.visible(ctx, imageId);
    await this.access.enforce(ctx, image, 'fetch_image_location');
    return image.locations.filter((l) => l.status === 'active').map((l) => ({ url: l.url, metadata: l.metadata }));
  }

  private parse(body: unknown): { url: string; validation?: ValidationData } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('Request body must be a JSON object.');
    const { url, validation_data: data, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length) throw invalid(`Unexpected member(s): ${Object.keys(rest).join(', ')}.`);
    if (typeof url !== 'string' || url.length > 255 || !(/^https?:\/\//i.test(url) || SWIFT_URL.test(url))) {
      throw invalid("'url' must be an http(s) or swift URL of at most 255 characters.");
    }
    if (!SWIFT_URL.test(url)) {
      try {
        screenUrl(url, { ...DEFAULT_URL_FILTER, ...this.importConfig.webDownload.filter });
      } catch {
        throw invalid(`Location URI does not pass filtering: ${redact(url)}`);
      }
    }
    if (data === undefined) return { url };
    const validation = parseValidation(data);
    if (validation.osHashAlgo === undefined) throw invalid("validation_data needs 'os_hash_algo' and 'os_hash_value'.");
    if (validation.osHashAlgo !== 'md5' && validation.osHashAlgo !== this.storage.hashAlgo) {
      throw invalid(`validation_data os_hash_algo must be md5 or ${this.storage.hashAlgo}, the algorithms this deployment computes.`);
    }
    return { url, validation };
  }
}
