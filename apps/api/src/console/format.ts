/** How the console writes numbers and times: bytes in binary units, times in UTC to the second. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function time(d: Date | null | undefined): string {
  return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}
