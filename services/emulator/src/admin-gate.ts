/**
 * Who may use `/_emulator/*` (faults, the IAM call log): a local process holding the per-start
 * token. A web page the developer visits can reach 127.0.0.1 too — with a "simple" cross-origin
 * POST, or through DNS rebinding under its own host name — so a request carrying an `Origin`
 * header or a non-loopback `Host` is refused before the token is even looked at.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type HttpReply, jsonReply } from "./http-reply.ts";
import { LoopbackHosts } from "./loopback-hosts.ts";

export interface AdminGateOptions {
  /** Random (32 bytes, base64url) when unset. */
  token?: string;
  /** The host the server listens on, accepted besides the loopback names. */
  host?: string;
}

export class AdminGate {
  readonly token: string;
  private readonly digest: Buffer;
  private readonly hosts: LoopbackHosts;

  constructor(options: AdminGateOptions = {}) {
    if (options.token !== undefined && options.token.length < 16) throw new TypeError("the admin token must be at least 16 characters");
    this.token = options.token ?? randomBytes(32).toString("base64url");
    this.digest = sha256(this.token);
    this.hosts = new LoopbackHosts(options.host);
  }

  /** The refusal to send, or undefined when the request may proceed. */
  refuse(headers: Record<string, string>): HttpReply | undefined {
    if (headers.origin !== undefined) return jsonReply(403, { error: "cross-origin requests to /_emulator/ are refused" });
    if (!this.hosts.allows(headers.host)) return jsonReply(403, { error: "/_emulator/ answers loopback host names only" });
    const presented = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
    if (presented === undefined || !timingSafeEqual(sha256(presented), this.digest)) {
      const reply = jsonReply(401, { error: "/_emulator/ needs authorization: Bearer <the emulator's admin token>" });
      return { ...reply, headers: { ...reply.headers, "www-authenticate": 'Bearer realm="emulator"' } };
    }
    return undefined;
  }
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
