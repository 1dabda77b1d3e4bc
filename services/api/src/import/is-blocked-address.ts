/**
 * Addresses a photo download must never reach: loopback, private, link-local (the cloud
 * metadata service lives at 169.254.169.254 / fd00:ec2::254), CGNAT, multicast, reserved and
 * documentation ranges. IPv4-mapped (`::ffff:127.0.0.1`) and NAT64 (`64:ff9b::/96`) IPv6
 * addresses are judged by the IPv4 address inside them, so neither spelling slips through;
 * the other ways to reach IPv4 through IPv6 — 6to4 (`2002::/16`), Teredo (`2001::/32`) and
 * local-use NAT64 (`64:ff9b:1::/48`) — are blocked whole.
 */
import { BlockList, isIP } from "node:net";

const v4 = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  v4.addSubnet(net, prefix, "ipv4");
}

const v6 = new BlockList();
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  // IPv4-compatible (deprecated) addresses.
  ["::", 96],
  ["100::", 64],
  // Teredo: tunnels to an IPv4 server and client, so it can reach IPv4 ranges blocked above.
  ["2001::", 32],
  ["2001:db8::", 32],
  // 6to4: the second and third groups are an IPv4 address (2002:7f00:1:: is 127.0.0.1's).
  ["2002::", 16],
  // Local-use NAT64 (RFC 8215): translated to IPv4 by a local gateway.
  ["64:ff9b:1::", 48],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  v6.addSubnet(net, prefix, "ipv6");
}

/** Expands an IPv6 address into 8 16-bit groups (handles `::` and a dotted IPv4 tail). */
function ipv6Groups(address: string): number[] {
  let text = address.split("%")[0].toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split(".").map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : new Array(8 - h.length - t.length).fill("0");
  return [...h, ...zeros, ...t].map((g) => Number.parseInt(g, 16));
}

function embeddedIpv4(groups: number[]): string | undefined {
  const [a, b, c, d, e, f, g, h] = groups;
  const mapped = a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff;
  // SIIT (RFC 2765): ::ffff:0:a.b.c.d, translated to IPv4 by a stateless translator on the path.
  const translated = a === 0 && b === 0 && c === 0 && d === 0 && e === 0xffff && f === 0;
  const nat64 = a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0;
  if (!mapped && !translated && !nat64) return undefined;
  return `${g >> 8}.${g & 0xff}.${h >> 8}.${h & 0xff}`;
}

/**
 * Whether `address` (an IP literal) is in a range a server-side fetch must not reach.
 * Anything that is not a valid IP literal counts as blocked.
 * @example
 * isBlockedAddress("169.254.169.254"); // true
 * isBlockedAddress("::ffff:10.0.0.1"); // true
 * isBlockedAddress("93.184.216.34"); // false
 */
export function isBlockedAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  const family = isIP(bare.split("%")[0]);
  if (family === 4) return v4.check(bare, "ipv4");
  if (family !== 6) return true;
  const groups = ipv6Groups(bare);
  const inner = embeddedIpv4(groups);
  if (inner) return v4.check(inner, "ipv4");
  return v6.check(bare.split("%")[0], "ipv6");
}
