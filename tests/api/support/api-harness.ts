/**
 * One test file's world: a database of its own, an AWS backend provisioned from pipeline.json
 * (with core's `provisionPipeline`, as `npm start` and compose do), the eBay fixture on a free
 * port, and the API in-process. `startApi(overrides)` starts more API instances against the same
 * world with other settings.
 *
 * Test files use it as a per-file fixture, which owns the skip logic:
 *
 *     import { apiTest as it } from "./support/api-harness.ts";
 *     it("imports a listing", async ({ h }) => { await h.call("/api/v1/books"); });
 *
 * The world starts for the file's first test that asks for `h` and stops after its last; a test
 * is skipped, with the reason, when no database or AWS backend can run here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadManifest, type Provisioned, provisionPipeline } from "@bluemoxon/core";
import { test } from "vitest";
import { type ApiServer, startApiServer } from "../../../services/api/src/index.ts";
import { type EbayFixture, startEbayFixture } from "../../../services/ebay-fixture/src/index.ts";
import { type AwsBackend, startAwsBackend } from "../../support/aws-backend.ts";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.ts";

/** A key of the API's minimum length (32), built at run time so no key-shaped literal sits in the repo. */
export const testApiKey = (name: string) => `test-key-${name}-`.padEnd(36, "0");

export const apiKey = testApiKey("current");
export const previousApiKey = testApiKey("previous");

/** What the harness puts in pipeline.json's secrets. */
export const secretValues = {
  "api-key": JSON.stringify({ keys: [apiKey, previousApiKey] }),
  "ebay-credentials": JSON.stringify({ clientId: "fixture-client", clientSecret: "fixture-secret-value" }),
};

export interface ApiHarness {
  aws: AwsBackend;
  provisioned: Provisioned;
  db: TestDatabase;
  ebay: EbayFixture;
  /** Listing folders of this harness (tests write their own listings here). */
  listingsDir: string;
  api: ApiServer;
  env: Record<string, string>;
  startApi(overrides?: Record<string, string>): Promise<ApiServer>;
  /** fetch against the main API with the key. */
  call(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startApiHarness(overrides: Record<string, string> = {}): Promise<ApiHarness | { skip: string }> {
  const aws = await startAwsBackend();
  if ("skip" in aws) return aws;
  console.log(`[tests/api] AWS backend: ${aws.kind} at ${aws.endpoint}`);
  const provisioned = await provisionPipeline({
    clients: aws.clients,
    manifest: loadManifest(),
    environment: "local",
    secretValues,
    overwriteSecrets: true,
  });
  const db = await createTestDatabase({ migrate: true });
  const listingsDir = mkdtempSync(join(tmpdir(), "bmx-listings-"));
  const ebay = await startEbayFixture({
    port: 0,
    dir: listingsDir,
    credentials: { clientId: "fixture-client", clientSecret: "fixture-secret-value" },
  });
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    PIPELINE_ENV: "local",
    API_KEY_SECRET_ID: provisioned.secrets["api-key"].name,
    API_KEY_CACHE_SECONDS: "0",
    EBAY_CREDENTIALS_SECRET_ID: provisioned.secrets["ebay-credentials"].name,
    EBAY_API_BASE_URL: ebay.url,
    PRIVATE_IMAGE_HOSTS_ALLOWED: new URL(ebay.url).host,
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: "4",
    RETRY_SWEEP_INTERVAL_SECONDS: "0",
    RETRY_BACKOFF_SECONDS: "0",
    IMAGE_FETCH_TIMEOUT_MS: "3000",
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    LOG_LEVEL: "error",
    ...overrides,
  };
  const servers: ApiServer[] = [];
  const startApi = async (more: Record<string, string> = {}) => {
    const server = await startApiServer({ env: { ...env, ...more }, aws: aws.clients });
    servers.push(server);
    return server;
  };
  const api = await startApi();
  return {
    aws,
    provisioned,
    db,
    ebay,
    listingsDir,
    api,
    env,
    startApi,
    call: (path, init = {}) =>
      fetch(`${api.url}${path}`, { ...init, headers: { "x-api-key": apiKey, ...(init.headers as Record<string, string>) } }),
    async close() {
      for (const s of servers) await s.close().catch(() => {});
      await ebay.close();
      await aws.stop();
      await db.drop();
      rmSync(listingsDir, { recursive: true, force: true });
    },
  };
}

/** `h`: this file's harness, started once for the file; the test skips with the reason when it cannot start. */
export const apiTest = test
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern.
  .extend("harness", { scope: "file" }, async ({}, { onCleanup }) => {
    const started = await startApiHarness();
    if (!("skip" in started)) onCleanup(() => started.close());
    return started;
  })
  .extend("h", async ({ harness, skip }) => {
    if ("skip" in harness) skip(harness.skip);
    return harness as ApiHarness;
  });
