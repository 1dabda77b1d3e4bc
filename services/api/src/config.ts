/**
 * The API's environment, read once at start through core's `loadConfig` (empty = missing).
 * `API_KEY_SECRET_ID` is required and non-empty: an empty key id once caused silent 401s.
 */
import { envInt, loadConfig, optionalString, requiredString } from "@bluemoxon/core";
import { z } from "zod";

const hostList = (defaultValue: string[]) =>
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined || v.trim() === ""
        ? defaultValue
        : v
            .split(",")
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
    );

/** eBay's picture CDNs; listing photos come from these in production. */
export const defaultEbayImageHosts = ["i.ebayimg.com", "i.ebayimg.sandbox.ebay.com", "thumbs.ebaystatic.com"];

export const apiConfigSchema = z.object({
  PORT: envInt(3000).pipe(z.number().min(0).max(65_535)),
  HOST: optionalString().transform((v) => v ?? "127.0.0.1"),
  PIPELINE_ENV: optionalString().transform((v) => v ?? "local"),
  IMAGE_BUCKET: optionalString(),
  API_KEY_SECRET_ID: requiredString(),
  /** Seconds the API keys read from Secrets Manager are trusted before re-reading (rotation delay). */
  API_KEY_CACHE_SECONDS: envInt(30).pipe(z.number().min(0)),
  EBAY_CREDENTIALS_SECRET_ID: optionalString(),
  EBAY_API_BASE_URL: optionalString()
    .transform((v) => v ?? "https://api.ebay.com")
    .pipe(z.url({ error: "must be a URL" })),
  EBAY_MARKETPLACE_ID: optionalString().transform((v) => v ?? "EBAY_US"),
  EBAY_IMAGE_HOSTS: hostList(defaultEbayImageHosts),
  /** host:port entries allowed to resolve to loopback/private addresses (the local fixture); empty in AWS. */
  PRIVATE_IMAGE_HOSTS_ALLOWED: hostList([]),
  IMAGE_MAX_BYTES: envInt(15 * 1024 * 1024).pipe(z.number().min(1)),
  IMAGE_FETCH_TIMEOUT_MS: envInt(15_000).pipe(z.number().min(1)),
  IMAGE_MAX_REDIRECTS: envInt(3).pipe(z.number().min(0).max(10)),
  COPY_CONCURRENCY: envInt(4).pipe(z.number().min(1).max(32)),
  RETRY_SWEEP_INTERVAL_SECONDS: envInt(60).pipe(z.number().min(0)),
  RETRY_SWEEP_BATCH: envInt(25).pipe(z.number().min(1).max(500)),
  /** First backoff of a `queue_failed` job; doubles with every send attempt. */
  RETRY_BACKOFF_SECONDS: envInt(10).pipe(z.number().min(0)),
  RETRY_BACKOFF_MAX_SECONDS: envInt(900).pipe(z.number().min(0)),
  /** A `pending` job untouched this long was never sent; a `processing` one claimed at its last receive is lost (≥ the queue's visibility timeout). */
  JOB_STALE_SECONDS: envInt(1800).pipe(z.number().min(1)),
  JOB_MAX_SEND_ATTEMPTS: envInt(8).pipe(z.number().min(1)),
  /** A photo copy that fails transiently (throttled, timed out, 5xx) this many times is failed for good. */
  COPY_MAX_ATTEMPTS: envInt(6).pipe(z.number().min(1)),
  /** A photo claimed for copying longer than this belonged to an API lost mid-copy: another may take it over (≥ a whole download and upload). */
  COPY_LEASE_SECONDS: envInt(120).pipe(z.number().min(0)),
  /** Endpoint put into presigned photo URLs when browsers reach S3 by another name than the API (compose). */
  S3_PUBLIC_ENDPOINT: optionalString().pipe(z.url({ error: "must be a URL" }).optional()),
  PRESIGN_SECONDS: envInt(300).pipe(z.number().min(1).max(604_800)),
  BODY_LIMIT_BYTES: envInt(64 * 1024).pipe(z.number().min(256)),
  DATABASE_URL: optionalString(),
  DATABASE_SECRET_ARN: optionalString(),
  DATABASE_HOST: optionalString(),
  DATABASE_PORT: envInt(5432),
  DATABASE_NAME: optionalString(),
  DATABASE_POOL_MAX: envInt(10).pipe(z.number().min(1)),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).optional().default("info").catch("info"),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

/**
 * @example
 * const config = loadApiConfig(process.env); // throws ConfigError naming API_KEY_SECRET_ID when empty
 */
export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, env);
}
