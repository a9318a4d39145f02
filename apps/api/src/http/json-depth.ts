import { invalid } from '@glimpse/domain';

/** Deepest nesting of arrays and objects a JSON request body may have; real bodies stay far below it. */
export const MAX_JSON_DEPTH = 64;

/**
 * The JSON body parser's `verify` hook: refuses (400) a body nested deeper than MAX_JSON_DEPTH before it is
 * parsed, so no code that walks a document (validation, serialisation) can run out of stack on one.
 */
export function assertJsonDepth(_req: unknown, _res: unknown, raw: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next byte is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw invalid(`The request body is nested too deeply (more than ${MAX_JSON_DEPTH} levels).`);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}
