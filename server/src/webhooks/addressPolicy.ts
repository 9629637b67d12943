import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses webhook requests may go to. By default only public unicast addresses: ipaddr.js
 * names every other range (loopback, private, linkLocal with the 169.254.169.254 metadata service,
 * uniqueLocal, carrierGradeNat, unspecified, multicast, reserved…), and IPv4-mapped IPv6 addresses
 * are judged as the IPv4 address they carry. FREE_AGENT_WEBHOOK_ALLOWED_HOSTS lets an operator
 * allow on-premises receivers: host names (any address they resolve to), IP addresses and CIDR
 * ranges.
 */
export interface AddressPolicy {
  /**
   * Why a request for `hostname` (as the URL names it) must not connect to `address` (resolved), e.g.
   * `127.0.0.1 is a loopback address`, or null when it may. Checked on the address actually connected to, so DNS cannot swap it afterwards.
   */
  refusal(hostname: string, address: string): string | null;
  /**
   * Why a URL naming `hostname` is refused before any lookup: an IP literal outside the public
   * unicast ranges, or `localhost`; null otherwise (names are checked when a delivery connects).
   */
  literalRefusal(hostname: string): string | null;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** `[::1]` → `::1`, `Example.COM.` → `example.com`: a host name or IP as the policy compares it. */
export function normaliseHost(host: string): string {
  return host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** An IP address as written in URLs and by DNS (ipaddr.js alone would also read `10` or `0x7f.1`). */
const isAddress = (text: string) => isIP(text) !== 0;

/** An address as compared: IPv4-mapped IPv6 (`::ffff:127.0.0.1`) becomes the IPv4 address it carries. */
const parseAddress = (address: string) => ipaddr.process(normaliseHost(address));

/**
 * One entry of FREE_AGENT_WEBHOOK_ALLOWED_HOSTS as the policy uses it, or null when it is none of a
 * host name, an IP address or a CIDR range.
 */
function parseEntry(entry: string): { name: string } | { range: Range } | null {
  const text = normaliseHost(entry);
  if (text.includes('/')) {
    try {
      return { range: ipaddr.parseCIDR(text) };
    } catch {
      return null;
    }
  }
  if (isAddress(text)) {
    const address = parseAddress(text);
    return { range: [address, address.kind() === 'ipv4' ? 32 : 128] };
  }
  return HOST_NAME.test(text) ? { name: text } : null;
}

/** The entries of a comma-separated allow-list that are not host names, IP addresses or CIDR ranges. */
export function invalidAllowedHosts(list: string): string[] {
  return splitList(list).filter((entry) => parseEntry(entry) === null);
}

const splitList = (list: string) =>
  list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** The policy for an allow-list (FREE_AGENT_WEBHOOK_ALLOWED_HOSTS, already validated by config). */
export function createAddressPolicy(allowedHosts: readonly string[]): AddressPolicy {
  const names = new Set<string>();
  const ranges: Range[] = [];
  for (const entry of allowedHosts) {
    const parsed = parseEntry(entry);
    if (!parsed) throw new Error(`Not a host name, IP address or CIDR range: ${entry}`);
    if ('name' in parsed) names.add(parsed.name);
    else ranges.push(parsed.range);
  }
  const allowedAddress = (address: ipaddr.IPv4 | ipaddr.IPv6) =>
    ranges.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  const rangeRefusal = (address: ipaddr.IPv4 | ipaddr.IPv6): string | null => {
    const range = address.range();
    if (range === 'unicast' || allowedAddress(address)) return null;
    return `${address.toString()} is a ${range} address`;
  };

  return {
    refusal(hostname, address) {
      if (names.has(normaliseHost(hostname))) return null;
      if (!isAddress(normaliseHost(address))) return `${address} is not an IP address`;
      return rangeRefusal(parseAddress(address));
    },

    literalRefusal(hostname) {
      const host = normaliseHost(hostname);
      if (names.has(host)) return null;
      if (isAddress(host)) return rangeRefusal(parseAddress(host));
      // RFC 6761: localhost names resolve to loopback, whatever DNS says.
      if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
      return null;
    },
  };
}

/** A comma-separated allow-list as its entries. */
export const allowedHostList = splitList;

/** What a refusal adds, so an operator knows the way out. */
export const ALLOW_HINT = 'webhooks go to public addresses only, unless FREE_AGENT_WEBHOOK_ALLOWED_HOSTS lists the host';
