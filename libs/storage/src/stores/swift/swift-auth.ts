import type { SwiftAuthOptions } from '@glimpse/config';
import { unavailable } from '@glimpse/domain';
import { drain, header, readText, send, type SwiftAgents } from './swift-http.js';

/** A token and the account's storage URL it works on. */
export interface SwiftSession {
  token: string;
  storageUrl: string;
  /** When the token stops working (far in the future when the auth service does not say). */
  expiresAtMs: number;
  /** When it was issued (to renew it before it expires: at most a quarter of its life, or 60 s, before). */
  issuedAtMs: number;
}

const NO_EXPIRY = 365 * 24 * 3600_000;

/**
 * Gets a token: tempauth/swauth v1 (GET the auth URL with X-Auth-User/X-Auth-Key) or Keystone v3 (password or
 * application credential; the storage URL is the catalog's object-store endpoint). Errors name the auth URL
 * and the status, never a secret.
 */
export async function authenticate(auth: SwiftAuthOptions, agents: SwiftAgents, timeoutMs: number, storeId: string): Promise<SwiftSession> {
  const issuedAtMs = Date.now();
  const fail = (what: string) => unavailable(`Swift store ${storeId}: authentication at ${auth.url} ${what}`);
  if (auth.version === 1) {
    const res = await send(new URL(auth.url), { method: 'GET', headers: { 'x-auth-user': auth.user, 'x-auth-key': auth.key }, timeoutMs }, agents).catch((err: Error) => {
      throw fail(`failed: ${err.message}`);
    });
    drain(res);
    if (res.statusCode! < 200 || res.statusCode! >= 300) throw fail(`answered HTTP ${res.statusCode}`);
    const token = header(res, 'x-auth-token');
    const storageUrl = header(res, 'x-storage-url');
    if (!token || !storageUrl) throw fail('gave no X-Auth-Token or X-Storage-Url');
    const expires = Number(header(res, 'x-auth-token-expires'));
    return { token, storageUrl, issuedAtMs, expiresAtMs: issuedAtMs + (Number.isFinite(expires) && expires > 0 ? expires * 1000 : NO_EXPIRY) };
  }
  const base = auth.url.replace(/\/+$/, '');
  const url = new URL(`${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`);
  const body = Buffer.from(JSON.stringify({ auth: keystoneAuth(auth) }));
  const res = await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: [body], timeoutMs }, agents).catch((err: Error) => {
    throw fail(`failed: ${err.message}`);
  });
  const text = await readText(res).catch(() => '');
  if (res.statusCode !== 201 && res.statusCode !== 200) throw fail(`answered HTTP ${res.statusCode}`);
  const token = header(res, 'x-subject-token');
  let parsed: KeystoneToken;
  try {
    parsed = (JSON.parse(text) as { token: KeystoneToken }).token;
  } catch {
    throw fail('answered a body that is not a token');
  }
  if (!token) throw fail('gave no X-Subject-Token');
  const expiresAtMs = parsed.expires_at ? Date.parse(parsed.expires_at) : issuedAtMs + NO_EXPIRY;
  return { token, storageUrl: catalogEndpoint(parsed, auth, fail), issuedAtMs, expiresAtMs };
}

interface KeystoneToken {
  expires_at?: string;
  catalog?: { type: string; endpoints: { interface: string; region?: string; region_id?: string; url: string }[] }[];
}

function keystoneAuth(auth: Extract<SwiftAuthOptions, { version: 3 }>): Record<string, unknown> {
  const domain = (id?: string, name?: string) => (id ? { id } : { name });
  const user = auth.userId ? { id: auth.userId } : { name: auth.user, domain: domain(auth.userDomainId, auth.userDomainName) };
  if (auth.applicationCredentialSecret) {
    const credential = auth.applicationCredentialId
      ? { id: auth.applicationCredentialId, secret: auth.applicationCredentialSecret }
      : { name: auth.applicationCredentialName, secret: auth.applicationCredentialSecret, user };
    // An application credential carries its own project scope.
    return { identity: { methods: ['application_credential'], application_credential: credential } };
  }
  const project = auth.projectId ? { id: auth.projectId } : { name: auth.projectName, domain: domain(auth.projectDomainId, auth.projectDomainName) };
  return { identity: { methods: ['password'], password: { user: { ...user, password: auth.password } } }, scope: { project } };
}

function catalogEndpoint(token: KeystoneToken, auth: Extract<SwiftAuthOptions, { version: 3 }>, fail: (what: string) => Error): string {
  const service = (token.catalog ?? []).find((s) => s.type === auth.serviceType);
  const endpoint = service?.endpoints.find(
    (e) => e.interface === auth.interface && (!auth.region || e.region_id === auth.region || e.region === auth.region),
  );
  if (!endpoint) throw fail(`gave a catalog without a ${auth.interface} ${auth.serviceType} endpoint${auth.region ? ` in ${auth.region}` : ''}`);
  return endpoint.url;
}

/** Whether a session should be renewed before its next use: expired, or within min(60 s, a quarter of its life) of it. */
export function expiresSoon(session: SwiftSession, now = Date.now()): boolean {
  const margin = Math.min(60_000, (session.expiresAtMs - session.issuedAtMs) / 4);
  return now >= session.expiresAtMs - margin;
}
