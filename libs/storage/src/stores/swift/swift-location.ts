import { invalid } from '@glimpse/domain';
import { redact } from '@glimpse/web-download';

/**
 * A Swift image location in one of the forms Glance writes:
 * - `swift+config://<reference>/<container>/<object>`: an account named in configuration (no secret; what
 *   Glimpse writes);
 * - `swift+http(s)://[<user>:<key>@]<host and path>/<container>/<object>` and `swift://…` (https): with
 *   credentials, the host and path are the auth URL (Glance's deprecated inline credentials); without them,
 *   the storage URL of the account (Glance's multi-tenant locations).
 */
export type SwiftLocation =
  | { kind: 'config'; reference: string; container: string; object: string }
  | { kind: 'auth'; authUrl: string; user: string; key: string; container: string; object: string }
  | { kind: 'storage'; storageUrl: string; container: string; object: string };

/** Parses a location by Glance's rules (glance_store's StoreLocation.parse_uri); throws a 400 for anything else. */
export function parseSwiftLocation(uri: string): SwiftLocation {
  const bad = (why: string) => invalid(`Invalid Swift location ${redact(uri)}: ${why}`);
  const scheme = /^(swift|swift\+https|swift\+http|swift\+config):\/\//.exec(uri);
  if (!scheme) throw bad('the scheme must be swift, swift+http, swift+https or swift+config');
  let rest = uri.slice(scheme[0].length);
  if (rest.includes('://')) throw bad('it holds a second "://" (a URL inside a URL)');
  const slash = rest.indexOf('/');
  if (slash <= 0) throw bad('it names no container and object');
  let authority = rest.slice(0, slash);
  rest = rest.slice(slash + 1);
  let credentials: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    credentials = authority.slice(0, at);
    authority = authority.slice(at + 1);
  }
  const parts = rest.split('/');
  const object = parts.pop();
  const container = parts.pop();
  if (!object || !container || !authority) throw bad('it needs a host, a container and an object');
  const name = { container: decode(container, bad), object: decode(object, bad) };
  if (scheme[1] === 'swift+config') {
    if (credentials !== undefined || parts.length) throw bad('swift+config:// is <reference>/<container>/<object>');
    return { kind: 'config', reference: authority, ...name };
  }
  const base = `${scheme[1] === 'swift+http' ? 'http' : 'https'}://${[authority, ...parts].join('/')}`;
  if (credentials === undefined) return { kind: 'storage', storageUrl: base, ...name };
  // The user may hold colons itself (account:user, project:user): the key follows the last one.
  const colon = credentials.lastIndexOf(':');
  if (colon <= 0) throw bad('badly formed credentials');
  return {
    kind: 'auth',
    authUrl: base,
    user: decode(credentials.slice(0, colon), bad),
    key: decode(credentials.slice(colon + 1), bad),
    ...name,
  };
}

/** The location Glimpse writes: the account by its reference, never a secret. */
export function swiftConfigLocation(reference: string, container: string, object: string): string {
  return `swift+config://${reference}/${encodeURIComponent(container)}/${encodeURIComponent(object)}`;
}

function decode(part: string, bad: (why: string) => Error): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw bad('a badly escaped part');
  }
}
