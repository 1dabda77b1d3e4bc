import { describe, expect, it } from "vitest";
import { isBlockedAddress } from "./is-blocked-address.ts";

describe("isBlockedAddress", () => {
  it.each([
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "[::1]",
    "fe80::1",
    "fe80::1%eth0",
    "fd00:ec2::254",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "64:ff9b::a9fe:a9fe",
    "::127.0.0.1",
    "2001:db8::1",
    // 6to4 (2002::/16) carries an IPv4 address in its second and third groups; blocked whole.
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::1",
    "2002:c0a8:101::",
    // Teredo (2001::/32) tunnels to an IPv4 server and client.
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001::1",
    // Local-use NAT64 (64:ff9b:1::/48, RFC 8215).
    "64:ff9b:1::a9fe:a9fe",
    "64:ff9b:1:ffff::1",
    "not-an-ip",
    "",
    // SIIT IPv4-translated addresses (::ffff:0:0/96, RFC 2765): before, judged as public IPv6.
    "::ffff:0:127.0.0.1",
    "::ffff:0:7f00:1",
    "::ffff:0:169.254.169.254",
    "[::ffff:0:a9fe:a9fe]",
    "::ffff:0:10.0.0.1",
  ])("blocks %s", (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    "93.184.216.34",
    "8.8.8.8",
    "172.32.0.1",
    "192.169.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "::ffff:0:8.8.8.8",
    "2a00:1450:4001:80b::200e",
    "2001:4860:4860::8888",
  ])("allows %s", (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });
});
