import { GlimpseError, type Image, invalid, type ValidationData } from '@glimpse/domain';
import type { FormatVerdict, FormatWatcher, ImageBytes, StoredCopy } from '../../image-data/image-data.ports.js';

/** The user's expected size and hash (validation_data), checked before the image turns active. */
export function checkValidation(copy: Pick<StoredCopy, 'size' | 'checksum' | 'osHashAlgo' | 'osHashValue'>, expected: ValidationData | undefined): void {
  if (!expected) return;
  if (expected.size !== undefined && expected.size !== copy.size) {
    throw invalid(`Imported data is ${copy.size} bytes, validation_data expects ${expected.size}.`);
  }
  if (expected.osHashAlgo === undefined) return;
  const actual = expected.osHashAlgo === 'md5' ? copy.checksum : expected.osHashAlgo === copy.osHashAlgo ? copy.osHashValue : null;
  if (actual === null) throw invalid(`validation_data uses ${expected.osHashAlgo}, which this deployment does not compute.`);
  if (actual !== expected.osHashValue) throw invalid(`Imported data does not match validation_data: ${expected.osHashAlgo} mismatch.`);
}

/** The format gate's refusal (415), when its verdict is not ok. */
export function checkVerdict(verdict: FormatVerdict): void {
  if (!verdict.ok) throw new GlimpseError('unsupported-media-type', `Image format refused: ${verdict.reason ?? 'the data does not match the declared format'}`);
}

/** Feeds the format watcher; a refusal already certain from the headers stops the transfer at once. */
export function watch(watcher: FormatWatcher, chunk: Buffer): void {
  watcher.push(chunk);
  const refusal = watcher.earlyRefusal();
  if (refusal) throw new GlimpseError('unsupported-media-type', `Image format refused: ${refusal.reason}`);
}

/** A copy must hold the same bytes as the image already records, or it is removed and refused. */
export async function verifyAgainst(copy: StoredCopy, expected: Pick<Image, 'checksum' | 'osHashValue' | 'size'>, bytes: ImageBytes): Promise<StoredCopy> {
  const same = copy.size === expected.size && copy.checksum === expected.checksum && (!expected.osHashValue || copy.osHashValue === expected.osHashValue);
  if (same) return copy;
  await bytes.remove(copy.location).catch(() => undefined);
  throw invalid(`The copy in store ${copy.location.store} does not match the image's checksums.`);
}
