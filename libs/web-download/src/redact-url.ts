/** Query parameters whose values are secrets (tokens, signatures, keys, passwords: presigned URLs and the like). */
const SECRET_PARAM = /token|secret|pass|pwd|sig|credential|auth|key|session/i;

const MASK = '***';

/**
 * A URL as it may be stored, logged or shown: userinfo and the values of secret-looking query parameters replaced
 * by `***` (`http://user:pw@host/x?token=abc&v=1` → `http://***@host/x?token=***&v=1`). Anything that is not a
 * URL becomes `<invalid URL>`, since it cannot be told apart.
 */
export function redact(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  if (u.username || u.password) {
    u.username = MASK;
    u.password = '';
  }
  if (u.search) {
    const pairs = u.search.slice(1).split('&').map((pair) => {
      const at = pair.indexOf('=');
      const name = at < 0 ? pair : pair.slice(0, at);
      return at >= 0 && SECRET_PARAM.test(safeDecode(name)) ? `${name}=${MASK}` : pair;
    });
    u.search = pairs.join('&');
  }
  return u.toString();
}

/** Whether the URL carries anything `redact` would hide. */
export function hasSecrets(url: string): boolean {
  try {
    return redact(url) !== new URL(url).toString();
  } catch {
    return false;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
