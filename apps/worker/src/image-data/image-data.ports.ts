import type { Readable } from 'node:stream';
import type { Image, ImageLocation } from '@glimpse/domain';
import type { Store, StoredCopy } from '@glimpse/storage';

export type { StoredCopy };

/** The image whose bytes are written: its id names the copy, its os_hash_algo (if any) is kept. */
export type WrittenImage = Pick<Image, 'id' | 'osHashAlgo'>;

/** What an import needs of the stores: write with checksums in one pass, read a copy back, remove one. */
export interface ImageBytes {
  /**
   * Writes `image`'s bytes, hashed with the image's own os_hash_algo (hashAlgoFor); `observe` sees every chunk on
   * its way to the store (in the hashing pass); throwing stops the write. `store` is a configured store's id, or a
   * work area of the worker's own (the conversion's input).
   */
  write(store: string | Store, image: WrittenImage, source: AsyncIterable<Buffer>, signal: AbortSignal, observe?: (chunk: Buffer) => void): Promise<StoredCopy>;
  read(location: ImageLocation, signal: AbortSignal): Promise<Readable>;
  remove(location: ImageLocation): Promise<void>;
  /** The staged file of a glance-direct import. */
  staged(imageId: string): Promise<Readable>;
  removeStaged(imageId: string): Promise<void>;
}

/** The format gate's verdict on what was imported. */
export interface FormatVerdict {
  ok: boolean;
  reason?: string;
  virtualSize: number | null;
  /** The format the content was detected as. */
  format?: string;
}

/** Watches the bytes as they flow (never holding more than a bounded header region) and judges them. */
export interface FormatWatcher {
  push(chunk: Buffer): void;
  /** A refusal already certain before the end of the data (from the headers), or null. */
  earlyRefusal(): { reason: string } | null;
  verdict(declared: { diskFormat: string | null; containerFormat: string | null }): FormatVerdict;
}

export interface FormatGate {
  watcher(): FormatWatcher;
}

export const IMAGE_BYTES = Symbol('IMAGE_BYTES');
export const FORMAT_GATE = Symbol('FORMAT_GATE');
