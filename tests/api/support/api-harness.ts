/**
 * One test file's world: a database of its own, an AWS backend provisioned from pipeline.json,
 * the eBay fixture on a free port, and the API in-process. `startApi(overrides)` starts more
 * API instances against the same world with other settings.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ApiServer, startApiServer } from "../../../services/api/src/index.ts";
import { type EbayFixture, startEbayFixture } from "../../../services/ebay-fixture/src/index.ts";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.ts";
import { type AwsBackend, credentials, startAwsBackend } from "./aws-backend.ts";

export const apiKey = "test-key-current";

export interface ApiHarness {
  aws: AwsBackend;
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
    API_KEY_SECRET_ID: aws.provisioned.secrets["api-key"].name,
    API_KEY_CACHE_SECONDS: "0",
    EBAY_CREDENTIALS_SECRET_ID: aws.provisioned.secrets["ebay-credentials"].name,
    EBAY_API_BASE_URL: ebay.url,
    PRIVATE_IMAGE_HOSTS_ALLOWED: new URL(ebay.url).host,
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: "4",
    RETRY_SWEEP_INTERVAL_SECONDS: "0",
    RETRY_BACKOFF_SECONDS: "0",
    IMAGE_FETCH_TIMEOUT_MS: "3000",
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
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
