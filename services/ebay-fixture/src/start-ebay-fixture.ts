/**
 * A local stand-in for eBay's Browse API and picture CDN, serving listing folders:
 *
 *     <dir>/<legacyItemId>/listing.json   an item as the Browse API returns it
 *     <dir>/<legacyItemId>/*.jpg          its photos
 *
 * Image entries that are bare file names are rewritten to this server's own URL; absolute
 * URLs pass through unchanged, so a test can aim a listing at hostile addresses. Listings are
 * read on every request, so tests may write folders after the fixture started.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const defaultFixturesDir = fileURLToPath(new URL("../fixtures/", import.meta.url));

export interface EbayFixtureOptions {
  port?: number;
  host?: string;
  /** Folder of listing folders; default the package's `fixtures/`. */
  dir?: string;
  /** When set, the token endpoint accepts only these client credentials. */
  credentials?: { clientId: string; clientSecret: string };
  tokenTtlSeconds?: number;
  /**
   * Base of the photo URLs it hands out. Default: the Host the request came to, so a client
   * reaching it as `http://ebay-fixture:4568` (compose) gets photo URLs it can fetch too.
   */
  publicUrl?: string;
}

export interface EbayFixture {
  url: string;
  /** Requests seen, for tests (token caching, retries). */
  stats: { tokenRequests: number; itemRequests: number; imageRequests: number };
  close(): Promise<void>;
}

const itemIdPattern = /^\d{1,19}$/;
const fileNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const mimeTypes: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".gif": "image/gif",
};

function ebayError(
  res: ServerResponse,
  status: number,
  errorId: number,
  message: string,
  parameters: { name: string; value: string }[] = [],
) {
  send(res, status, { errors: [{ errorId, domain: "API_BROWSE", category: "REQUEST", message, longMessage: message, parameters }] });
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * @example
 * const ebay = await startEbayFixture({ port: 0 });
 * // EBAY_API_BASE_URL=ebay.url, PRIVATE_IMAGE_HOSTS_ALLOWED=new URL(ebay.url).host
 * await ebay.close();
 */
export async function startEbayFixture({
  port = 4568,
  host = "127.0.0.1",
  dir = defaultFixturesDir,
  credentials,
  tokenTtlSeconds = 7200,
  publicUrl,
}: EbayFixtureOptions = {}): Promise<EbayFixture> {
  const root = resolve(dir);
  const tokens = new Map<string, number>();
  const stats = { tokenRequests: 0, itemRequests: 0, imageRequests: 0 };
  let baseUrl = "";

  async function readListing(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      return JSON.parse(await readFile(join(root, id, "listing.json"), "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  function rewrite(base: string, id: string, url: unknown): unknown {
    if (typeof url !== "string" || /^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
    return `${base}/images/${id}/${encodeURIComponent(url)}`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://fixture");
    if (req.method === "POST" && url.pathname === "/identity/v1/oauth2/token") {
      stats.tokenRequests++;
      const auth = req.headers.authorization ?? "";
      const [user, pass] = Buffer.from(auth.replace(/^Basic /, ""), "base64")
        .toString()
        .split(":");
      if (!auth.startsWith("Basic ") || !user || (credentials && (user !== credentials.clientId || pass !== credentials.clientSecret))) {
        return send(res, 401, { error: "invalid_client", error_description: "client authentication failed" });
      }
      const token = `v^1.1#fixture#${randomBytes(16).toString("hex")}`;
      tokens.set(token, Date.now() + tokenTtlSeconds * 1000);
      return send(res, 200, { access_token: token, expires_in: tokenTtlSeconds, token_type: "Application Access Token" });
    }
    if (req.method === "GET" && url.pathname === "/buy/browse/v1/item/get_item_by_legacy_id") {
      stats.itemRequests++;
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      const expiry = tokens.get(token);
      if (!expiry || expiry < Date.now()) return ebayError(res, 401, 1001, "Invalid access token");
      const id = url.searchParams.get("legacy_item_id") ?? "";
      if (!itemIdPattern.test(id)) {
        return ebayError(res, 400, 11006, "The legacy Id is invalid.", [{ name: "legacy_item_id", value: id }]);
      }
      const listing = await readListing(id);
      if (!listing) return ebayError(res, 404, 11001, "The specified item Id was not found.", [{ name: "itemId", value: id }]);
      const hostHeader = req.headers.host;
      const base = (publicUrl ?? (hostHeader && /^[A-Za-z0-9.[\]:-]+$/.test(hostHeader) ? `http://${hostHeader}` : baseUrl)).replace(
        /\/+$/,
        "",
      );
      const image = listing.image as { imageUrl?: unknown } | undefined;
      const additional = (listing.additionalImages as { imageUrl?: unknown }[] | undefined) ?? [];
      return send(res, 200, {
        itemId: `v1|${id}|0`,
        legacyItemId: id,
        itemWebUrl: `https://www.ebay.com/itm/${id}`,
        ...listing,
        ...(image ? { image: { ...image, imageUrl: rewrite(base, id, image.imageUrl) } } : {}),
        additionalImages: additional.map((a) => ({ ...a, imageUrl: rewrite(base, id, a.imageUrl) })),
      });
    }
    const imageMatch = /^\/images\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && imageMatch) {
      stats.imageRequests++;
      const [id, file] = [imageMatch[1], decodeURIComponent(imageMatch[2])];
      // Names are checked, so no path escapes the listing folder.
      if (!itemIdPattern.test(id) || !fileNamePattern.test(file) || file === "listing.json") return send(res, 404, { error: "not found" });
      try {
        const bytes = await readFile(join(root, id, file));
        res.writeHead(200, {
          "content-type": mimeTypes[extname(file).toLowerCase()] ?? "application/octet-stream",
          "content-length": bytes.length,
        });
        return res.end(bytes);
      } catch {
        return send(res, 404, { error: "not found" });
      }
    }
    if (url.pathname === "/health") return send(res, 200, { status: "ok" });
    return send(res, 404, { error: "not found" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, { error: (error as Error).message });
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  return {
    url: baseUrl,
    stats,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
