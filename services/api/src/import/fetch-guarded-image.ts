/**
 * Downloads a listing photo without letting a hostile listing aim the API at our own network.
 *
 * Every hop (the first URL and each redirect, followed by hand) is checked: http(s) only, the
 * host on the allow-list, every DNS answer outside private/loopback/link-local/metadata ranges
 * unless that host:port is explicitly allowed (the local fixture). The socket then connects to
 * the very address that was checked (a fixed `lookup`), so a second DNS answer cannot rebind
 * the host to 127.0.0.1 between check and connect. The body is capped while it streams, the
 * whole download shares one deadline, and the bytes must start like JPEG/PNG/WebP/GIF.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { ImageMime } from "@bluemoxon/core";
import { ImageFetchError } from "../errors.ts";
import { isBlockedAddress } from "./is-blocked-address.ts";
import { sniffImageType } from "./sniff-image-type.ts";

export interface GuardedFetchOptions {
  /** Hosts photos may come from: `host` (any port) or `host:port`. */
  allowedHosts: readonly string[];
  /** `host:port` (or `host`) entries that may resolve to private/loopback addresses; also allowed hosts. */
  privateHostsAllowed?: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
  /** DNS resolver; tests inject one to simulate rebinding or private answers. */
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

export interface FetchedImage {
  bytes: Buffer;
  mime: ImageMime;
  finalUrl: string;
}

const defaultResolve = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

function hostMatches(list: readonly string[], hostname: string, port: string): boolean {
  return list.some((entry) => entry === hostname || entry === `${hostname}:${port}` || entry === `[${hostname}]:${port}`);
}

/**
 * @example
 * const { bytes, mime } = await fetchGuardedImage("https://i.ebayimg.com/images/g/x/s-l1600.jpg",
 *   { allowedHosts: ["i.ebayimg.com"], maxBytes: 15e6, timeoutMs: 15_000 });
 * @throws ImageFetchError with a `reason` code
 */
export async function fetchGuardedImage(url: string, options: GuardedFetchOptions): Promise<FetchedImage> {
  const { maxRedirects = 3 } = options;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await requestOnce(current, options, controller.signal);
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        res.resume();
        if (hop >= maxRedirects) throw new ImageFetchError("too_many_redirects", `more than ${maxRedirects} redirects`);
        try {
          current = new URL(res.headers.location, current).toString();
        } catch {
          throw new ImageFetchError("invalid_url", "redirect to an invalid URL");
        }
        continue;
      }
      if (!res.statusCode || res.statusCode < 200 || res.statusCode >= 300) {
        res.resume();
        throw new ImageFetchError("http_status", `HTTP ${res.statusCode} from ${new URL(current).host}`, { status: res.statusCode });
      }
      const bytes = await readCapped(res, options.maxBytes, controller.signal);
      const mime = sniffImageType(bytes);
      if (!mime) throw new ImageFetchError("not_an_image", "content is not a JPEG, PNG, WebP or GIF image");
      return { bytes, mime, finalUrl: current };
    }
  } catch (error) {
    if (error instanceof ImageFetchError) throw error;
    if (controller.signal.aborted)
      throw new ImageFetchError("timeout", `no complete image within ${options.timeoutMs} ms`, { cause: error });
    throw new ImageFetchError("network", `download failed: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function requestOnce(target: string, options: GuardedFetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new ImageFetchError("invalid_url", "not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ImageFetchError("scheme_not_allowed", `${url.protocol} URLs are not fetched`);
  if (url.username || url.password) throw new ImageFetchError("invalid_url", "URLs with credentials are not fetched");
  const hostname = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const privateAllowed = hostMatches(options.privateHostsAllowed ?? [], hostname, port);
  if (!privateAllowed && !hostMatches(options.allowedHosts, hostname, port)) {
    throw new ImageFetchError("host_not_allowed", `host ${url.host} is not an allowed image host`);
  }

  let addresses: { address: string; family: number }[];
  if (isIP(hostname)) {
    addresses = [{ address: hostname, family: isIP(hostname) }];
  } else {
    try {
      addresses = await (options.resolve ?? defaultResolve)(hostname);
    } catch (error) {
      throw new ImageFetchError("dns_failed", `cannot resolve ${hostname}`, { cause: error });
    }
    if (addresses.length === 0) throw new ImageFetchError("dns_failed", `no address for ${hostname}`);
  }
  if (!privateAllowed && addresses.some((a) => isBlockedAddress(a.address))) {
    throw new ImageFetchError("private_address", `host ${url.host} resolves to a private or reserved address`);
  }
  const chosen = addresses[0];
  // Pin the connection to the address checked above (no second DNS query → no rebinding).
  const pinned: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [chosen]);
    else callback(null, chosen.address, chosen.family);
  };
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      url,
      {
        method: "GET",
        lookup: pinned,
        signal,
        agent: false,
        headers: { accept: "image/*", "user-agent": "bluemoxon-image-import/1" },
      },
      resolve,
    );
    req.on("error", reject);
    req.end();
  });
}

function readCapped(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    return Promise.reject(new ImageFetchError("too_large", `image is ${declared} bytes, over the ${maxBytes} byte limit`));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Reject before destroying: destroy() emits 'aborted'/'error' synchronously.
        reject(new ImageFetchError("too_large", `image is over the ${maxBytes} byte limit`));
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("connection aborted")));
    signal.addEventListener("abort", () => res.destroy(new Error("aborted")), { once: true });
  });
}
