/**
 * The `Host` names the emulator answers: the loopback names and the address it listens on. A web
 * page can reach 127.0.0.1 under its own host name through DNS rebinding; its requests then carry
 * that name as `Host`, which is how they are told apart and refused, on every endpoint.
 */
const loopback = ["127.0.0.1", "localhost", "::1", "[::1]"];

export class LoopbackHosts {
  private readonly hosts: Set<string>;

  /** `listenHost`: accepted besides the loopback names (not the wildcards 0.0.0.0 and ::). */
  constructor(listenHost?: string) {
    this.hosts = new Set(loopback);
    if (listenHost && listenHost !== "0.0.0.0" && listenHost !== "::") this.hosts.add(listenHost.toLowerCase());
  }

  /** Whether a `Host` header (with or without its port) names this emulator. */
  allows(host: string | undefined): boolean {
    return this.hosts.has(hostName(host ?? ""));
  }
}

function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon >= 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}
