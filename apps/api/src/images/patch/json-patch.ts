import { GlimpseError, invalid } from '@glimpse/domain';

export const PATCH_MEDIA_TYPES = ['application/openstack-images-v2.0-json-patch', 'application/openstack-images-v2.1-json-patch'] as const;
export type PatchDialect = '2.0' | '2.1';

export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  /** The attribute named by a depth-1 pointer, unescaped. */
  name: string;
  value?: unknown;
}

const OPS = ['add', 'remove', 'replace'] as const;

/** The dialect a Content-Type selects; 415 with Accept-Patch for any other. */
export function patchDialect(contentType: string | undefined): PatchDialect {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === PATCH_MEDIA_TYPES[1]) return '2.1';
  if (type === PATCH_MEDIA_TYPES[0]) return '2.0';
  throw new GlimpseError('unsupported-media-type', `The request media type ${type || '(none)'} is not supported by this server.`, {
    'Accept-Patch': PATCH_MEDIA_TYPES.join(', '),
  });
}

/**
 * Parses a PATCH body in either dialect: 2.1 is RFC 6902 style (`{"op","path","value"}`), 2.0 the draft-04 style
 * (`{"<op>": "<path>", "value"}`). Only depth-1 pointers are accepted.
 */
export function parsePatch(dialect: PatchDialect, body: unknown): PatchOp[] {
  if (!Array.isArray(body) || body.some((o) => typeof o !== 'object' || o === null || Array.isArray(o))) {
    throw invalid('Request body must be a JSON array of operation objects.');
  }
  return (body as Record<string, unknown>[]).map((raw) => {
    let op: unknown;
    let path: unknown;
    if (dialect === '2.1') {
      op = raw.op;
      path = raw.path;
    } else {
      const keys = OPS.filter((k) => k in raw);
      if (keys.length !== 1) throw invalid('Operation objects must contain exactly one member named "add", "remove", or "replace".');
      op = keys[0];
      path = raw[keys[0]!];
    }
    if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
      throw invalid(`Invalid operation: \`${String(op)}\`. It must be one of the following: add, remove, replace.`);
    }
    if (op !== 'remove' && !('value' in raw)) throw invalid(`Operation "${op}" requires a member named "value".`);
    return { op: op as PatchOp['op'], name: pointerName(path), ...(op !== 'remove' ? { value: raw.value } : {}) };
  });
}

function pointerName(path: unknown): string {
  if (typeof path !== 'string') throw invalid('Unable to find \'path\' in JSON Schema change');
  if (!path.startsWith('/')) throw invalid(`Pointer \`${path}\` does not start with "/".`);
  const tokens = path.slice(1).split('/');
  if (tokens.some((t) => t === '')) throw invalid(`Pointer \`${path}\` contains adjacent "/".`);
  if (tokens.some((t) => /~(?![01])/.test(t))) throw invalid(`Pointer \`${path}\` contains "~" not part of a recognized escape sequence.`);
  const unescaped = tokens.map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (unescaped[0] === 'locations') {
    throw new GlimpseError('forbidden', 'It is not allowed to add or replace locations: show_multiple_locations is off.');
  }
  if (unescaped.length !== 1) throw invalid(`Nested paths are not allowed: ${path}`);
  return unescaped[0]!;
}
