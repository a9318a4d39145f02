import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy.js';
import { DownloadError } from './errors.js';

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Resolves a host and checks EVERY address it resolves to: one internal address refuses the host (a name
 * that points at both a public and an internal address is a rebinding trick). The connection is then made
 * to these checked addresses only, so a second, different DNS answer cannot slip in.
 */
export async function resolveAndCheck(
  host: string,
  policy: AddressPolicy,
  resolver: Resolver = systemResolver,
): Promise<{ address: string; family: number }[]> {
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolveOrFail(host, resolver);
  if (!addresses.length) throw new DownloadError(`host ${host} has no address`, true);
  for (const { address } of addresses) {
    const why = policy.check(address);
    if (why) throw new DownloadError(`host ${host} resolves to a refused address: ${why}`, true);
  }
  return addresses;
}

async function resolveOrFail(host: string, resolver: Resolver) {
  try {
    return await resolver(host);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // An unknown name is permanent; a resolver failure (timeout, SERVFAIL) may pass.
    throw new DownloadError(`cannot resolve ${host}: ${code ?? (err as Error).message}`, code === 'ENOTFOUND');
  }
}
