import { Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { type Image, invalid, notFound, type RequestContext, V1_COPY_FROM } from '@glimpse/domain';
import { ImageRepository } from '@glimpse/persistence';
import { ImportService } from '../import/import.service.js';

export interface CopyFromOptions {
  storeId?: string;
  /** What the client announced (x-image-meta-size / -checksum): the copied data must match it. */
  size?: number;
  checksum?: string;
}

/**
 * x-glance-api-copy-from: a web-download import task on BullMQ (the same import lock, guarded fetch, format gate,
 * hashes and quotas as v2's), run with v1's outcome: `saving` while it copies, `active` or `killed`. The request
 * itself makes no network call; it answers with the image still `queued` (glance-v1 reference §6, §11).
 */
@Injectable()
export class V1CopyFrom {
  constructor(
    private readonly imports: ImportService,
    private readonly images: ImageRepository,
    @InjectConfig('import') private readonly importConfig: ConfigOf<'import'>,
  ) {}

  /** Before the record exists: copy-from needs web-download enabled and a URL the static filter lets through. */
  screen(uri: string): void {
    if (!this.importConfig.methods.includes('web-download')) throw invalid(`External sources are not supported: '${uri}'`);
    this.screenUrl(uri);
  }

  /** The web-download URL filter alone (also what an x-image-meta-location must pass). */
  screenUrl(uri: string): void {
    try {
      this.imports.screen(uri);
    } catch {
      throw invalid(`External sources are not supported: '${uri}'`);
    }
  }

  async start(ctx: RequestContext, image: Image, uri: string, options: CopyFromOptions, requestId: string | null): Promise<Image> {
    const validation = {
      ...(options.size !== undefined && { size: options.size }),
      ...(options.checksum !== undefined && { os_hash_algo: 'md5', os_hash_value: options.checksum }),
    };
    const method = { name: 'web-download', uri, ...(Object.keys(validation).length && { validation_data: validation }) };
    await this.imports.start(ctx, image.id, { body: { method }, headerStore: options.storeId, requestId, api: V1_COPY_FROM });
    const current = await this.images.findById(image.id);
    if (!current) throw notFound(`Image with identifier ${image.id} not found`);
    return current;
  }
}
