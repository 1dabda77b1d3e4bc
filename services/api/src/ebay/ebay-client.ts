/**
 * eBay Browse API client: an application token from the OAuth client-credentials grant
 * (cached until shortly before it expires, one request in flight at a time), then
 * `get_item_by_legacy_id`, mapped to the fields a book needs.
 */
import { EbayCredentialsUnavailableError, EbayUpstreamError, ListingNotFoundError } from "../errors.ts";
import { type EbayListing, mapBrowseItem } from "./map-browse-item.ts";

export interface EbayCredentials {
  clientId: string;
  clientSecret: string;
}

export interface EbayClientOptions {
  /** e.g. https://api.ebay.com, or the local fixture. */
  baseUrl: string;
  credentials: () => Promise<EbayCredentials>;
  marketplaceId?: string;
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface EbayClient {
  /** @throws ListingNotFoundError, EbayUpstreamError */
  getItemByLegacyId(legacyItemId: string): Promise<EbayListing>;
}

const scope = "https://api.ebay.com/oauth/api_scope";
/** Renew this long before eBay's expiry so a token never dies mid-request. */
const renewMarginMs = 60_000;

/**
 * @example
 * const ebay = createEbayClient({ baseUrl: "https://api.ebay.com", credentials: () => readEbaySecret() });
 * const listing = await ebay.getItemByLegacyId("315209876543");
 */
export function createEbayClient({
  baseUrl,
  credentials,
  marketplaceId = "EBAY_US",
  timeoutMs = 10_000,
  now = Date.now,
  fetch: fetchImpl = fetch,
}: EbayClientOptions): EbayClient {
  const base = baseUrl.replace(/\/+$/, "");
  let token: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function requestToken(): Promise<string> {
    let clientId: string;
    let clientSecret: string;
    try {
      ({ clientId, clientSecret } = await credentials());
    } catch (error) {
      throw new EbayCredentialsUnavailableError("eBay client credentials cannot be read", { cause: error });
    }
    let res: Response;
    try {
      res = await fetchImpl(`${base}/identity/v1/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "client_credentials", scope }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new EbayUpstreamError("eBay token endpoint unreachable", undefined, { cause: error });
    }
    if (!res.ok) throw new EbayUpstreamError(`eBay token request failed with HTTP ${res.status}`, res.status);
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new EbayUpstreamError("eBay token response has no access_token");
    token = { value: body.access_token, expiresAt: now() + (body.expires_in ?? 7200) * 1000 - renewMarginMs };
    return body.access_token;
  }

  async function accessToken(): Promise<string> {
    if (token && token.expiresAt > now()) return token.value;
    pending ??= requestToken().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function getItem(legacyItemId: string, retried: boolean): Promise<EbayListing> {
    const bearer = await accessToken();
    const url = `${base}/buy/browse/v1/item/get_item_by_legacy_id?legacy_item_id=${encodeURIComponent(legacyItemId)}`;
    let res: Response;
    try {
      res = await fetchImpl(url, {
        headers: { authorization: `Bearer ${bearer}`, "x-ebay-c-marketplace-id": marketplaceId, accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new EbayUpstreamError("eBay Browse API unreachable", undefined, { cause: error });
    }
    if (res.status === 401 && !retried) {
      // Revoked or expired early: one fresh token, then give up.
      token = undefined;
      return getItem(legacyItemId, true);
    }
    if (res.status === 404) throw new ListingNotFoundError(`eBay item ${legacyItemId} not found`);
    if (!res.ok) {
      // eBay answers 400 with errorId 11001 for ids that do not exist in some marketplaces.
      const body = (await res.json().catch(() => ({}))) as { errors?: { errorId?: number }[] };
      if (res.status === 400 && body.errors?.some((e) => e.errorId === 11001))
        throw new ListingNotFoundError(`eBay item ${legacyItemId} not found`);
      throw new EbayUpstreamError(`eBay Browse API answered HTTP ${res.status}`, res.status);
    }
    const item = await res.json().catch((error) => {
      throw new EbayUpstreamError("eBay Browse API answered invalid JSON", res.status, { cause: error });
    });
    return mapBrowseItem(item, legacyItemId);
  }

  return { getItemByLegacyId: (id) => getItem(id, false) };
}
