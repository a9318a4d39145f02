import ipaddr from 'ipaddr.js';

/**
 * Which addresses a web-download may connect to. Only globally routable unicast addresses pass by default:
 * loopback, private (RFC 1918), link-local (incl. the 169.254.169.254 metadata service), carrier-grade NAT,
 * unspecified (0.0.0.0, ::), multicast, broadcast, reserved, unique-local IPv6, IPv6 outside the global unicast
 * block 2000::/3, and the local-use NAT64 prefix 64:ff9b:1::/48 (where the IPv4 address sits depends on the
 * site's prefix length) are refused unless an operator allows a network explicitly. IPv6 forms that embed an
 * IPv4 address (IPv4-compatible ::a.b.c.d, mapped ::ffff:a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64
 * 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32) are judged by that IPv4 address.
 */
export class AddressPolicy {
  private readonly allowed: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  /** @param allowedNetworks CIDRs (e.g. `127.0.0.1/32`) that may be reached even though they are internal. */
  constructor(allowedNetworks: readonly string[] = []) {
    this.allowed = allowedNetworks.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Null when the address may be reached, else why not. */
  check(address: string): string | null {
    const text = dottedTailAsHex(address);
    if (!ipaddr.isValid(text)) return `not an IP address: ${address}`;
    let ip = ipaddr.parse(text);
    if (this.isExplicitlyAllowed(ip)) return null;
    if (ip.kind() === 'ipv6') {
      const v6 = ip as ipaddr.IPv6;
      if (v6.match(NAT64_LOCAL_USE, 48)) return `${address} is in the local-use NAT64 prefix 64:ff9b:1::/48`;
      const embedded = embeddedIpv4(v6);
      if (embedded) {
        if (this.isExplicitlyAllowed(embedded)) return null;
        ip = embedded;
      } else if (v6.range() === 'unicast' && !v6.match(GLOBAL_UNICAST, 3)) {
        return `${address} is outside the global unicast block 2000::/3`;
      }
    }
    const range = ip.range();
    return range === 'unicast' ? null : `${address} is a ${range} address`;
  }

  private isExplicitlyAllowed(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.allowed.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
  }
}

const GLOBAL_UNICAST = ipaddr.IPv6.parse('2000::');
const NAT64_LOCAL_USE = ipaddr.IPv6.parse('64:ff9b:1::');

/**
 * An IPv6 text with a dotted IPv4 tail rewritten as two hex groups, as the socket layer reads it. ipaddr.js
 * reads `::a.b.c.d` as the mapped `::ffff:a.b.c.d`, which is not the address a connection would go to.
 */
function dottedTailAsHex(address: string): string {
  if (!address.includes(':')) return address;
  return address.replace(/(?<=:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?=$|%)/, (whole, ...parts: string[]) => {
    const octets = parts.slice(0, 4).map(Number);
    if (octets.some((o) => o > 255)) return whole;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    return `${hex(octets[0]!, octets[1]!)}:${hex(octets[2]!, octets[3]!)}`;
  });
}

/** The IPv4 address an IPv6 address carries (compatible, mapped, translated, NAT64 /96, 6to4, Teredo). */
function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = ip.range();
  const bytes = ip.toByteArray();
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address();
  if (range === 'rfc6052' || range === 'rfc6145') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  if (range === 'teredo') return new ipaddr.IPv4(bytes.slice(12, 16).map((b) => b ^ 0xff));
  // IPv4-compatible (RFC 4291 §2.5.5.1, deprecated): 96 zero bits, then the IPv4 address; :: and ::1 are their own.
  if (range === 'unicast' && bytes.slice(0, 12).every((b) => b === 0)) return new ipaddr.IPv4(bytes.slice(12, 16));
  return null;
}
