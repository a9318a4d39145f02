import type { Readable } from 'node:stream';
import type { HashingTap } from './hashing/hashing-tap.js';

export type StoreType = 'file' | 's3' | 'http' | 'swift';

/** Inclusive byte range, as in `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** Aborts the write; whatever was written is removed. */
  signal?: AbortSignal;
  /** Expected size when the client announced one (a hint: S3 part sizing). */
  sizeHint?: number;
}

export interface GetOptions {
  /** The image's recorded size: a store that learns the stored size from its answer checks it before the first byte. */
  size?: number | null;
}

export interface PutResult {
  /** Where the bytes now live (the image location's url). */
  location: string;
  size: number;
}

/**
 * One place image bytes are kept. `put` either stores the whole stream under the returned location or leaves
 * nothing behind; `get` opens the bytes (failing before the first byte when they are missing).
 */
export interface Store {
  readonly id: string;
  readonly type: StoreType;
  readonly readOnly: boolean;
  readonly description?: string;
  readonly weight: number;
  put(imageId: string, source: Readable, options?: PutOptions): Promise<PutResult>;
  /**
   * Like `put`, for a store that writes the hasher's ring slots in place (no copy, no stream stage): the image
   * writer (ImageWriter) calls it instead of `put`, before the tap's first byte. Stores without it are given the
   * tap as a plain stream.
   */
  putSlots?(imageId: string, source: HashingTap, options?: PutOptions): Promise<PutResult>;
  get(location: string, range?: ByteRange, options?: GetOptions): Promise<Readable>;
  /** Removes the bytes; a location already gone is not an error. */
  delete(location: string): Promise<void>;
  /** Size of the bytes at the location, or null when there are none. */
  stat(location: string): Promise<{ size: number } | null>;
  /** What /v2/info/stores/detail shows of this store (never credentials). */
  properties(): Record<string, unknown>;
  /**
   * Removes what interrupted writes left behind and nobody has touched for `idleMs` (a live writer keeps its
   * temporary file fresh) as of `now` (the caller's clock; the system's by default); returns how many. Stores without
   * such leftovers do not implement it.
   */
  removeStalePartials?(idleMs: number, now?: number): Promise<number>;
  /**
   * Every complete object in the store (never temporary files), streamed so a large store is never held in
   * memory: the location, the image id it is named by, and when it was last written. For the auditor's orphan scan.
   */
  listObjects?(): AsyncIterable<{ location: string; imageId: string; modifiedMs: number }>;
  /**
   * A location another service wrote (a Glance deployment on the same storage) taken over for image `imageId`:
   * resolves with the form this store records and lists (never with credentials) once the bytes are there;
   * rejects with a 400 when the location is not this store's or not named by the image id.
   */
  adoptLocation?(url: string, imageId: string): Promise<string>;
  close?(): Promise<void>;
}

/** A location that is not (or no longer) there. */
export class LocationNotFound extends Error {
  override readonly name = 'LocationNotFound';
}
