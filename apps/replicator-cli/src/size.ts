import type { GlanceClient, ListOptions } from './glance-client.js';

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 3145728 → "3.0 MiB"; under 1 KiB the exact count. */
export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `size <url>`: how many active images the deployment shows, and their bytes. */
export async function size(source: GlanceClient, options: ListOptions): Promise<number> {
  const images = await source.listActive(options);
  const total = images.reduce((sum, image) => sum + (typeof image.size === 'number' ? image.size : 0), 0);
  console.log(`Total size is ${total} bytes (${humanSize(total)}) across ${images.length} images`);
  return 0;
}
