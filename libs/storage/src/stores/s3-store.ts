import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import type { S3StoreOptions } from '@glimpse/config';
import { invalid } from '@glimpse/domain';
import { type ByteRange, LocationNotFound, type PutOptions, type PutResult, type Store } from '../store.js';

/**
 * Objects in an S3 bucket (AWS or any S3-compatible server). Writes stream as a multipart upload that is
 * aborted on failure; reads are ranged GETs. Locations are `s3://bucket/key`; credentials stay in the config.
 */
export class S3Store implements Store {
  readonly type = 's3' as const;
  readonly readOnly = false;
  private readonly client: S3Client;

  constructor(
    readonly id: string,
    private readonly options: S3StoreOptions,
    readonly weight = 0,
    readonly description?: string,
  ) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(imageId: string, source: Readable, options: PutOptions = {}): Promise<PutResult> {
    const key = `${this.options.prefix}${imageId}`;
    let size = 0;
    const counted = source.map((chunk: Buffer) => ((size += chunk.length), chunk), { concurrency: 1 }) as Readable;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: key, Body: counted, ContentType: 'application/octet-stream' },
      partSize: this.options.partSize,
      queueSize: this.options.queueSize,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort().catch(() => undefined);
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } catch (err) {
      // A small body goes up as one PutObject, which a failed source cannot leave half written; make sure anyway.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key })).catch(() => undefined);
      throw source.errored ?? err;
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
    if (source.errored) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key })).catch(() => undefined);
      throw source.errored;
    }
    return { location: `s3://${this.options.bucket}/${key}`, size };
  }

  async get(location: string, range?: ByteRange): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({ ...this.address(location), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new LocationNotFound(`${location} is gone`);
      throw err;
    }
  }

  async delete(location: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand(this.address(location)));
  }

  async stat(location: string): Promise<{ size: number } | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand(this.address(location)));
      return { size: head.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** The objects under this store's prefix named like an image (a key with a further `/` is not this store's). */
  async *listObjects(): AsyncIterable<{ location: string; imageId: string; modifiedMs: number }> {
    const { bucket, prefix } = this.options;
    for await (const page of paginateListObjectsV2({ client: this.client, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        const imageId = object.Key?.slice(prefix.length);
        if (!imageId || imageId.includes('/')) continue;
        yield { location: `s3://${bucket}/${object.Key}`, imageId, modifiedMs: object.LastModified?.getTime() ?? 0 };
      }
    }
  }

  /**
   * Multipart uploads under this store's prefix that nobody has added a part to for `idleMs` (a live writer
   * keeps adding parts) are aborted.
   */
  async removeStalePartials(idleMs: number, now = Date.now()): Promise<number> {
    const { bucket, prefix } = this.options;
    let removed = 0;
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, ...markers }));
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || now - (upload.Initiated?.getTime() ?? 0) < idleMs) continue;
        if (now - (await this.lastPartMs(upload.Key, upload.UploadId)) < idleMs) continue; // a live writer
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
        removed++;
      }
      if (!page.IsTruncated || !page.NextKeyMarker) return removed;
      markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
    }
  }

  /** When the upload last received a part (0 when it has none). */
  private async lastPartMs(key: string, uploadId: string): Promise<number> {
    let latest = 0;
    let marker: string | undefined;
    do {
      const page = await this.client.send(new ListPartsCommand({ Bucket: this.options.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }));
      for (const part of page.Parts ?? []) latest = Math.max(latest, part.LastModified?.getTime() ?? 0);
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return latest;
  }

  properties(): Record<string, unknown> {
    return { bucket: this.options.bucket, endpoint: this.options.endpoint ?? null, region: this.options.region };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private address(location: string): { Bucket: string; Key: string } {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
    if (!match || match[1] !== this.options.bucket) throw invalid(`Location ${location} is not in store ${this.id}`);
    return { Bucket: match[1], Key: match[2]! };
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
