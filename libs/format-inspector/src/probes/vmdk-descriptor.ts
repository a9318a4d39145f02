/** One extent line of a vmdk descriptor: `RW 8388608 SPARSE "disk.vmdk"`. */
export interface VmdkExtent {
  access: string;
  sectors: number;
  type: string;
  file: string | null;
}

export type ParsedDescriptor =
  | { ok: true; createType: string | null; parentHint: boolean; extents: VmdkExtent[] }
  | { ok: false; message: string };

const EXTENT = /^(rw|rdonly|noaccess)\s+(\d+)\s+([a-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?$/i;
const FIELD = /^([a-z0-9_.]+)\s*=\s*(.*)$/i;

/**
 * Parses a vmdk text descriptor cautiously: every line must be blank, a comment, a `ddb.` line, a `key=value`
 * field or an extent; anything else (or non-ASCII text) makes the descriptor invalid.
 */
export function parseDescriptor(bytes: Buffer): ParsedDescriptor {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return { ok: false, message: 'vmdk descriptor is not ASCII text' };
  }
  let createType: string | null = null;
  let parentHint = false;
  const extents: VmdkExtent[] = [];
  for (const raw of bytes.toString('latin1', 0, end).split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.toLowerCase().startsWith('ddb.')) continue;
    const extent = EXTENT.exec(line);
    if (extent) {
      extents.push({ access: extent[1]!, sectors: Number(extent[2]), type: extent[3]!.toUpperCase(), file: extent[4] ?? null });
      continue;
    }
    const field = FIELD.exec(line);
    if (!field) return { ok: false, message: 'vmdk descriptor has a line that is neither a field nor an extent' };
    const key = field[1]!.toLowerCase();
    const value = field[2]!.replace(/^"(.*)"$/, '$1');
    if (key === 'createtype') createType = value;
    if (key === 'parentfilenamehint' && value !== '') parentHint = true;
  }
  return { ok: true, createType, parentHint, extents };
}

/** qemu's test for a text descriptor: after comments and blank lines, the first line is `version=1|2|3`. */
export function looksLikeTextDescriptor(buf: Buffer): boolean {
  let p = 0;
  while (p < buf.length) {
    if (buf[p] === 0x23) {
      while (p < buf.length && buf[p] !== 0x0a) p++;
      p++;
      continue;
    }
    if (buf[p] === 0x20) {
      while (p < buf.length && buf[p] === 0x20) p++;
      if (p < buf.length && buf[p] === 0x0d) p++;
      if (p === buf.length || buf[p] !== 0x0a) return false;
      p++;
      continue;
    }
    return /^version=[123]\r?\n/.test(buf.toString('latin1', p, p + 11));
  }
  return false;
}
