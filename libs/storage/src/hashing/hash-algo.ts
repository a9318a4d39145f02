/**
 * The os_hash_algo of bytes written or checked for an image, decided here only: the image's own once it records
 * one (a copy into another store, a repair or an audit must be comparable with the recorded os_hash_value, even
 * after GLIMPSE_HASH_ALGO changed), else the configured one (new data).
 */
export function hashAlgoFor(image: { osHashAlgo: string | null }, configured: string): string {
  return image.osHashAlgo ?? configured;
}
