import ipaddr from 'ipaddr.js';

/**
 * Which addresses a web-download may connect to. Only globally routable unicast addresses pass by default:
 * loopback, private (RFC 1918), link-local (incl. the 169.254.169.254 metadata service), carrier-grade NAT,
 * unspecified (0.0.0.0, ::), multicast, broadcast, reserved, unique-local IPv6, and IPv6 forms that embed an
 * IPv4 address (mapped, NAT64, 6to4, Teredo) judged by that IPv4 address, are refused unless an operator
 * allows a network explicitly.
 */
export class AddressPolicy {
  private readonly allowed: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  /** @param allowedNetworks CIDRs (e.g. `127.0.0.1/32`) that may be reached even though they are internal. */
  constructor(allowedNetworks: readonly string[] = []) {
    this.allowed = allowedNetworks.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Null when the address may be reached, else why not. */
  check(address: string): string | null {
    if (!ipaddr.isValid(address)) return `not an IP address: ${address}`;
    let ip = ipaddr.parse(address);
    if (this.isExplicitlyAllowed(ip)) return null;
    if (ip.kind() === 'ipv6') {
      const embedded = embeddedIpv4(ip as ipaddr.IPv6);
      if (embedded) {
        if (this.isExplicitlyAllowed(embedded)) return null;
        ip = embedded;
      }
    }
    const range = ip.range();
    return range === 'unicast' ? null : `${address} is a ${range} address`;
  }

  private isExplicitlyAllowed(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.allowed.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
  }
}

/** The IPv4 address an IPv6 address carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4, Teredo). */
function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = ip.range();
  const bytes = ip.toByteArray();
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address();
  if (range === 'rfc6052' || range === 'rfc6145') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  if (range === 'teredo') return new ipaddr.IPv4(bytes.slice(12, 16).map((b) => b ^ 0xff));
  return null;
}
