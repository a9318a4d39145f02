import type { GlanceClient, ImageDoc, ListOptions } from './glance-client.js';
import { describe, differences } from './image-diff.js';

/** "<id> (name, N bytes)" for messages about one image. */
export function label(image: ImageDoc): string {
  return `${image.id} (${JSON.stringify(image.name ?? null)}, ${String(image.size ?? '?')} bytes)`;
}

/**
 * `compare <src> <dst>`: one line per active source image missing at the target and per attribute that differs
 * there. 0 when the target holds every image as it is at the source, 1 otherwise (or when a look-up failed).
 */
export async function compare(source: GlanceClient, target: GlanceClient, options: ListOptions): Promise<number> {
  const images = await source.listActive(options);
  let missing = 0;
  let differing = 0;
  let failed = 0;
  for (const image of images) {
    try {
      const copy = await target.getImage(image.id);
      if (!copy) {
        console.log(`${label(image)}: missing at target`);
        missing++;
        continue;
      }
      const lines = differences(image, copy).map((d) => describe(image.id, d));
      if (copy.status !== 'active') lines.unshift(`${image.id}: status differs: source "active", target ${JSON.stringify(copy.status)}`);
      for (const line of lines) console.log(line);
      if (lines.length) differing++;
    } catch (err) {
      console.error(`${image.id}: ${(err as Error).message}`);
      failed++;
    }
  }
  console.log(`${images.length} images compared: ${missing} missing, ${differing} differing${failed ? `, ${failed} failed` : ''}`);
  return missing + differing + failed > 0 ? 1 : 0;
}
