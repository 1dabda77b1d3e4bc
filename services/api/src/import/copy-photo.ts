/**
 * Copies one listing photo into the bucket under a claim of the lifecycle module: claimed first
 * (`pending`/`retryable` → `copying`; a photo another import is copying is left alone), then
 * finished as `copied`, `retryable` (transient: throttling after the SDK's retries, a timeout, a
 * 5xx, the network — with the attempt and the next try recorded) or `failed` (permanent: 404, not an
 * image, too big, a refused address — with the reason). A database error is not the photo's fault:
 * it propagates; the claim's lease then lets a later import or the sweep take the copy over.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { type CopyOutcome, claimCopy, errorMessage, finishCopy, originalKey } from "@bluemoxon/core";
import type { ApiDeps } from "../api-deps.ts";
import { ImageFetchError } from "../errors.ts";
import { fetchGuardedImage } from "./fetch-guarded-image.ts";

export type CopyDeps = Pick<ApiDeps, "sql" | "aws" | "bucket" | "config" | "log" | "clock">;

/** Download failures that a later try cannot fix. */
const permanentReasons = new Set<ImageFetchError["reason"]>([
  "invalid_url",
  "scheme_not_allowed",
  "host_not_allowed",
  "private_address",
  "too_many_redirects",
  "too_large",
  "not_an_image",
]);

/** Whether a copy failure may pass: throttling, timeouts, 5xx and 429, the network, DNS; a 4xx other than 408/429 does not. */
export function isTransientCopyError(error: unknown): boolean {
  if (error instanceof ImageFetchError) {
    if (permanentReasons.has(error.reason)) return false;
    if (error.reason === "http_status")
      return error.status === undefined || error.status >= 500 || error.status === 408 || error.status === 429;
    return true;
  }
  // The upload: S3 refusing for good is a bucket or credentials problem, not the photo's; it may be fixed, so retried too.
  return true;
}

/** Seconds before the copy's try n + 1: base × 2^(n − 1), at most max. */
export function copyBackoffSeconds(
  attempt: number,
  config: Pick<ApiDeps["config"], "RETRY_BACKOFF_SECONDS" | "RETRY_BACKOFF_MAX_SECONDS">,
): number {
  return Math.min(config.RETRY_BACKOFF_SECONDS * 2 ** Math.max(0, attempt - 1), config.RETRY_BACKOFF_MAX_SECONDS);
}

/**
 * @returns the outcome recorded, or undefined when the copy was not claimed (done, being made, waiting) or the claim was lost
 * @example
 * const outcome = await copyPhoto(deps, imageId);
 */
export async function copyPhoto(deps: CopyDeps, imageId: string): Promise<CopyOutcome | undefined> {
  const { sql, config } = deps;
  const claim = await claimCopy(sql, imageId, { now: deps.clock.now(), leaseSeconds: config.COPY_LEASE_SECONDS });
  if (!claim) return undefined;
  const log = deps.log.child({ imageId, position: claim.position, copyAttempt: claim.attempt });
  let outcome: CopyOutcome;
  try {
    const fetched = await fetchGuardedImage(claim.sourceUrl, {
      allowedHosts: config.EBAY_IMAGE_HOSTS,
      privateHostsAllowed: config.PRIVATE_IMAGE_HOSTS_ALLOWED,
      maxBytes: config.IMAGE_MAX_BYTES,
      timeoutMs: config.IMAGE_FETCH_TIMEOUT_MS,
      maxRedirects: config.IMAGE_MAX_REDIRECTS,
    });
    const key = originalKey(claim.bookId, imageId, fetched.mime);
    await deps.aws.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: key,
        Body: fetched.bytes,
        ContentType: fetched.mime,
        ContentLength: fetched.bytes.length,
      }),
    );
    outcome = { status: "copied", key, contentType: fetched.mime, byteSize: fetched.bytes.length };
  } catch (error) {
    const reason = error instanceof ImageFetchError ? `${error.reason}: ${error.message}` : `upload_failed: ${errorMessage(error)}`;
    if (!isTransientCopyError(error)) outcome = { status: "failed", reason };
    else if (claim.attempt >= config.COPY_MAX_ATTEMPTS)
      outcome = { status: "failed", reason: `gave up after ${claim.attempt} copy attempts: ${reason}` };
    else {
      const retryAt = new Date(deps.clock.now().getTime() + copyBackoffSeconds(claim.attempt, config) * 1000);
      outcome = { status: "retryable", reason, retryAt };
    }
    log.warn("photo not copied", { outcome: outcome.status, reason });
  }
  if (!(await finishCopy(sql, claim, outcome))) {
    log.warn("photo copy claim was taken over before it finished; outcome not recorded", { outcome: outcome.status });
    return undefined;
  }
  return outcome;
}
