import { invalid } from '../errors.js';

export const IMPORT_METHODS = ['glance-direct', 'web-download', 'copy-image'] as const;

/**
 * The task input's `api` of a v1 copy-from (`x-glance-api-copy-from`): a web-download import with v1's outcome
 * (the image is `saving` while it runs and `killed` when it fails) and its URL kept out of every view.
 */
export const V1_COPY_FROM = 'v1-copy-from';
export type ImportMethod = (typeof IMPORT_METHODS)[number];

/** Expected size and/or hash of imported data, after Glance's validation_data for locations. */
export interface ValidationData {
  osHashAlgo?: 'md5' | 'sha1' | 'sha256' | 'sha512';
  osHashValue?: string;
  size?: number;
}

const DIGEST_HEX_LENGTH = { md5: 32, sha1: 40, sha256: 64, sha512: 128 } as const;

/** A validated body of POST /v2/images/{id}/import. */
export interface ImportRequest {
  method: ImportMethod;
  /** web-download only. */
  uri?: string;
  /** Optional: what the downloaded data must be, checked before the image turns active (web-download). */
  validation?: ValidationData;
  /** Explicit target stores (`stores`); undefined when not given. */
  stores?: string[];
  allStores: boolean;
  allStoresMustSucceed: boolean;
  /** The body as sent, kept in the task's input as Glance does. */
  raw: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the body's shape and the method's own fields; store and status rules are the service's. */
export function parseImportRequest(body: unknown, enabled: readonly string[]): ImportRequest {
  if (!isObject(body)) throw invalid('Request body must be a JSON object.');
  const method = body.method;
  if (!isObject(method) || method.name === undefined) throw invalid("Import request requires a 'method' field with a 'name'.");
  const name = method.name;
  if (typeof name !== 'string' || !(IMPORT_METHODS as readonly string[]).includes(name)) {
    throw invalid(`Unknown import method name '${String(name)}'.`);
  }
  if (!enabled.includes(name)) throw invalid(`Import method '${name}' is not enabled.`);
  const flag = (key: string, fallback: boolean): boolean => {
    const value = body[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw invalid(`'${key}' must be a boolean, not ${JSON.stringify(value)}.`);
    return value;
  };
  let stores: string[] | undefined;
  if (body.stores !== undefined) {
    if (!Array.isArray(body.stores) || body.stores.some((s) => typeof s !== 'string' || s === '')) {
      throw invalid("'stores' must be a list of store identifiers.");
    }
    stores = [...new Set(body.stores as string[])];
  }
  let uri: string | undefined;
  if (name === 'web-download') {
    if (typeof method.uri !== 'string' || method.uri === '') throw invalid("'uri' is required for the web-download import method.");
    uri = method.uri;
  }
  const validation = method.validation_data === undefined ? undefined : parseValidation(method.validation_data);
  return {
    method: name as ImportMethod,
    uri,
    validation,
    stores,
    allStores: flag('all_stores', false),
    allStoresMustSucceed: flag('all_stores_must_succeed', true),
    raw: body,
  };
}

/** `validation_data` (Glance's locations API and our web-download extension): expected hash and/or size. */
export function parseValidation(value: unknown): ValidationData {
  if (!isObject(value)) throw invalid("'validation_data' must be an object.");
  const { os_hash_algo: algo, os_hash_value: hex, size } = value;
  if ((algo === undefined) !== (hex === undefined)) throw invalid("'os_hash_algo' and 'os_hash_value' must be given together.");
  const out: ValidationData = {};
  if (algo !== undefined) {
    if (typeof algo !== 'string' || !Object.hasOwn(DIGEST_HEX_LENGTH, algo)) throw invalid(`Unsupported os_hash_algo ${JSON.stringify(algo)}.`);
    const length = DIGEST_HEX_LENGTH[algo as keyof typeof DIGEST_HEX_LENGTH];
    if (typeof hex !== 'string' || !new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) {
      throw invalid(`'os_hash_value' must be ${length} hexadecimal digits for ${algo}.`);
    }
    out.osHashAlgo = algo as ValidationData['osHashAlgo'];
    out.osHashValue = hex.toLowerCase();
  }
  if (size !== undefined) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid("'size' must be a non-negative integer.");
    out.size = size;
  }
  return out;
}
