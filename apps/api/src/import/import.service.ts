import { Inject, Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { JobName } from '@glimpse/contracts';
import {
  conflict,
  type Image,
  type ImportMethod,
  invalid,
  parseImportRequest,
  type RequestContext,
  type V1_COPY_FROM,
} from '@glimpse/domain';
import { ImportOwner, type QuotaUsage } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { DEFAULT_URL_FILTER, hasSecrets, redact, screenUrl } from '@glimpse/web-download';
import { ImageAccess } from '../images/image-access.service.js';
import { QuotaService } from '../quotas/quota.service.js';
import { importTargets, STORE_CHOICE, type StoreChoice } from './import-targets.js';

export interface ImportCall {
  body: unknown;
  headerStore?: string;
  requestId: string | null;
  /** Which API asked: a v1 copy-from runs with v1's outcome (V1_COPY_FROM); unset: v2. */
  api?: typeof V1_COPY_FROM;
}

/**
 * POST /v2/images/{id}/import: validates, takes the image's import lock and enqueues the job. The work itself
 * happens in a worker; the API never touches the data.
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly owner: ImportOwner,
    private readonly access: ImageAccess,
    private readonly producer: JobProducer,
    private readonly quotas: QuotaService,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
    @InjectConfig('storage') private readonly storage: ConfigOf<'storage'>,
    @Inject(STORE_CHOICE) private readonly stores: StoreChoice,
  ) {}

  /** Returns the task id, or null when there is nothing to do (copy-image to all stores already holding it). */
  async start(ctx: RequestContext, imageId: string, call: ImportCall): Promise<string | null> {
    const req = parseImportRequest(call.body, this.importConfig.methods);
    if (req.uri !== undefined) this.screen(req.uri);
    const algo = req.validation?.osHashAlgo;
    if (algo !== undefined && algo !== 'md5' && algo !== this.storage.hashAlgo) {
      // The data is hashed once, as it is written: MD5 and the configured os_hash_algo.
      throw invalid(`validation_data os_hash_algo must be md5 or ${this.storage.hashAlgo}, the algorithms this deployment computes.`);
    }
    const image = await this.authorize(ctx, imageId, req.method);
    checkImportable(req.method, image);
    const targets = importTargets(req, call.headerStore, image, this.stores);
    if (targets.length === 0) return null;

    // The task (shown to the owner, kept for days) holds the URI without its credentials; the full one travels
    // only in the queued job, which the worker clears when the import ends.
    const secretUri = req.uri !== undefined && hasSecrets(req.uri) ? req.uri : undefined;
    return this.owner.start({
      imageId,
      owner: image.owner,
      input: { import_req: secretUri ? withUri(req.raw, redact(secretUri)) : req.raw, backend: targets, ...(call.api && { api: call.api }) },
      requestId: call.requestId,
      userId: ctx.userId,
      check: (current) => checkImportable(req.method, current),
      // The hold follows the task: it counts while the task is pending or processing (the worker's records then
      // show the import), so a crash of this process or the worker cannot leak it.
      reserve: (taskId) => this.quotas.hold(image.owner, imageId, importUsage(req.method, image, targets.length), taskId),
      enqueue: (taskId) => this.producer.enqueue(JobName.ImageImport, { taskId, imageId, ...(secretUri ? { uri: secretUri } : {}) }, { jobId: taskId }),
      unqueued: 'The import could not be queued',
    });
  }

  /** The web-download URL filter (scheme, host and port lists; no lookup, no connection): 400 when it refuses. */
  screen(uri: string): void {
    const { webDownload } = this.importConfig;
    try {
      screenUrl(uri, { ...DEFAULT_URL_FILTER, ...webDownload.filter });
    } catch {
      throw invalid(`URI for web-download does not pass filtering: ${redact(uri)}`);
    }
  }

  private async authorize(ctx: RequestContext, imageId: string, method: ImportMethod): Promise<Image> {
    if (method !== 'copy-image') return this.access.permitted(ctx, imageId, 'modify_image');
    const image = await this.access.visible(ctx, imageId);
    await this.access.enforce(ctx, image, 'copy_image');
    return image;
  }
}

/** The import body with another web-download URI. */
function withUri(raw: Record<string, unknown>, uri: string): Record<string, unknown> {
  return { ...raw, method: { ...(raw.method as Record<string, unknown>), uri } };
}

/**
 * What the image will use while and after it is imported: an upload in progress, and its data once per store.
 * glance-direct knows the size from staging; web-download learns it only later, so it needs room for a byte
 * (the project must not be at its limit); copy-image adds a copy per target store to those it has.
 */
function importUsage(method: ImportMethod, image: Image, targets: number): Partial<QuotaUsage> {
  const size = image.size ?? 0;
  if (method === 'web-download') return { image_count_uploading: 1, image_size_total: 1 };
  if (method === 'glance-direct') return { image_count_uploading: 1, image_size_total: size * targets };
  return { image_count_uploading: 1, image_size_total: size * (image.locations.length + targets) };
}

/** Glance's method/status matrix (409s) and the formats an import needs. */
export function checkImportable(method: ImportMethod, image: Image): void {
  if (method === 'copy-image') {
    if (image.status !== 'active') throw conflict('Only images with status active can be targeted for copying');
    return;
  }
  if (image.status === 'active') throw conflict('Image with status active cannot be target for import');
  if (method === 'glance-direct') {
    if (image.status === 'queued') throw conflict("Image needs to be staged before 'glance-direct' method can be used");
    if (image.status !== 'uploading') throw conflict(`Image with status ${image.status} cannot be target for import`);
  } else if (image.status !== 'queued') {
    throw conflict(`Image needs to be in 'queued' state to use '${method}' method`);
  }
  if (!image.containerFormat) throw conflict("'container_format' needs to be set before import");
  if (!image.diskFormat) throw conflict("'disk_format' needs to be set before import");
}
