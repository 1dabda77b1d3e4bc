/** API errors, typed where they arise; `http/problem.ts` maps them to problem+json at the edge. */

/** A listing URL or item id that cannot be understood. */
export class InvalidListingUrlError extends Error {
  override name = "InvalidListingUrlError";
}

/** eBay answered that the item does not exist. */
export class ListingNotFoundError extends Error {
  override name = "ListingNotFoundError";
}

/** eBay (or its token endpoint) failed or answered something we cannot use. */
export class EbayUpstreamError extends Error {
  override name = "EbayUpstreamError";
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The eBay client credentials secret cannot be read or lacks clientId/clientSecret. */
export class EbayCredentialsUnavailableError extends Error {
  override name = "EbayCredentialsUnavailableError";
}

/** A photo download refused or failed; `reason` is a short machine-readable code stored with the photo. */
export class ImageFetchError extends Error {
  override name = "ImageFetchError";
  constructor(
    readonly reason:
      | "invalid_url"
      | "scheme_not_allowed"
      | "host_not_allowed"
      | "private_address"
      | "dns_failed"
      | "too_many_redirects"
      | "http_status"
      | "too_large"
      | "not_an_image"
      | "timeout"
      | "network",
    message: string,
    options?: ErrorOptions & { status?: number },
  ) {
    super(message, options);
    this.status = options?.status;
  }

  /** The HTTP status of an `http_status` failure. */
  readonly status: number | undefined;
}

/** The API key secret cannot be read: the API answers 503, never 401, so a broken secret is not mistaken for a bad key. */
export class ApiKeysUnavailableError extends Error {
  override name = "ApiKeysUnavailableError";
}

/**
 * The API key secret lists a key shorter than `minApiKeyLength`. A subclass of the unavailable
 * error, so a short key added by a rotation answers 503 (loud) rather than being used; at start
 * it stops the process (`checkApiKeysAtStart`).
 */
export class ApiKeyTooShortError extends ApiKeysUnavailableError {
  override name = "ApiKeyTooShortError";
}

/** A row that does not exist. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** A request that conflicts with the current state (e.g. processing a photo that was never copied). */
export class ConflictError extends Error {
  override name = "ConflictError";
}
