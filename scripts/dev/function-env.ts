/**
 * The environment each function of the local stack runs with — the API's and the worker's
 * configuration as `npm start` gives it — from the stack's addresses and the services'
 * credentials. One place, used by start-stack.ts (the API process) and by `npm run invoke`
 * (a function run once against a running stack, as a child or in its image).
 */
import type { ResourceNames } from "@bluemoxon/core";

export interface StackAddresses {
  manifestPath: string;
  names: ResourceNames;
  emulatorUrl: string;
  fixtureUrl: string;
  databaseUrl: string;
  logLevel: string;
  credentials: Record<string, { accessKeyId: string; secretAccessKey: string }>;
}

/** The API's configuration (the server adds PORT and the sweep's interval). */
export function apiFunctionEnv(s: StackAddresses): Record<string, string> {
  const fixtureHost = new URL(s.fixtureUrl).host;
  return {
    PIPELINE_ENV: "local",
    PIPELINE_MANIFEST: s.manifestPath,
    IMAGE_BUCKET: s.names.bucket("images"),
    API_KEY_SECRET_ID: s.names.secret("api-key"),
    EBAY_CREDENTIALS_SECRET_ID: s.names.secret("ebay-credentials"),
    EBAY_API_BASE_URL: s.fixtureUrl,
    EBAY_IMAGE_HOSTS: fixtureHost,
    PRIVATE_IMAGE_HOSTS_ALLOWED: fixtureHost,
    DATABASE_URL: s.databaseUrl,
    AWS_ENDPOINT_URL: s.emulatorUrl,
    AWS_REGION: s.names.region,
    AWS_ACCESS_KEY_ID: s.credentials.api.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s.credentials.api.secretAccessKey,
    LOG_LEVEL: s.logLevel,
  };
}

/** The worker's configuration, as its event source mapping gives it under npm start. */
export function workerFunctionEnv(s: StackAddresses): Record<string, string> {
  return {
    PIPELINE_ENV: "local",
    IMAGE_BUCKET: s.names.bucket("images"),
    DATABASE_URL: s.databaseUrl,
    AWS_ENDPOINT_URL: s.emulatorUrl,
    AWS_REGION: s.names.region,
    AWS_ACCESS_KEY_ID: s.credentials.worker.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s.credentials.worker.secretAccessKey,
    LOG_LEVEL: s.logLevel,
  };
}
