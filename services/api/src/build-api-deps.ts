/**
 * Environment → the app's dependencies: config (fails fast, naming the variable), manifest,
 * AWS clients, database, eBay client, API key provider (its keys read once here: a key shorter
 * than 32 characters stops the start). Used by `server.ts`, `lambda.ts` and
 * `startApiServer`; tests may pass their own clients or logger.
 */
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import {
  type AwsClients,
  awsConfigFromEnv,
  createAwsClients,
  createDb,
  createLogger,
  type Logger,
  loadManifest,
  resolveDatabaseUrl,
  resourceNames,
  type Sql,
} from "@bluemoxon/core";
import type { ApiDeps } from "./api-deps.ts";
import { checkApiKeysAtStart, createApiKeyProvider } from "./auth/api-key-provider.ts";
import { loadApiConfig } from "./config.ts";
import { createEbayClient, type EbayCredentials } from "./ebay/ebay-client.ts";
import { createQueueDirectory } from "./jobs/queue-directory.ts";

export interface BuiltApiDeps extends ApiDeps {
  /** Closes what this function opened (database pool, AWS clients). */
  close(): Promise<void>;
}

export interface BuildApiDepsOptions {
  env?: Record<string, string | undefined>;
  aws?: AwsClients;
  sql?: Sql;
  log?: Logger;
}

/**
 * @example
 * const deps = await buildApiDeps({ env: process.env });
 * const app = createApp(deps);
 */
export async function buildApiDeps({ env = process.env, ...given }: BuildApiDepsOptions = {}): Promise<BuiltApiDeps> {
  const config = loadApiConfig(env);
  const log = given.log ?? createLogger({ service: "api", level: config.LOG_LEVEL });
  const manifest = loadManifest(env.PIPELINE_MANIFEST || undefined);
  const names = resourceNames(manifest, { environment: config.PIPELINE_ENV });
  const aws = given.aws ?? createAwsClients(awsConfigFromEnv(env));
  // In compose the API reaches S3 as http://localstack:4566, a name the browser cannot resolve:
  // presigned URLs are signed for the endpoint the browser uses instead.
  const presignAws = config.S3_PUBLIC_ENDPOINT
    ? createAwsClients({ ...awsConfigFromEnv(env), endpoint: config.S3_PUBLIC_ENDPOINT })
    : undefined;
  let sql = given.sql;
  if (!sql) {
    const url = await resolveDatabaseUrl(config, aws.secrets);
    sql = createDb({ url, max: config.DATABASE_POOL_MAX, applicationName: "bluemoxon-api" });
  }
  const ebaySecretId = config.EBAY_CREDENTIALS_SECRET_ID ?? names.secret("ebay-credentials");
  let ebayCredentials: Promise<EbayCredentials> | undefined;
  const readEbayCredentials = async (): Promise<EbayCredentials> => {
    const out = await aws.secrets.send(new GetSecretValueCommand({ SecretId: ebaySecretId }));
    const parsed = JSON.parse(out.SecretString ?? "{}") as Partial<EbayCredentials>;
    if (!parsed.clientId || !parsed.clientSecret) throw new Error(`the eBay secret ${ebaySecretId} needs clientId and clientSecret`);
    log.redactValue(parsed.clientSecret);
    return { clientId: parsed.clientId, clientSecret: parsed.clientSecret };
  };
  const ebay = createEbayClient({
    baseUrl: config.EBAY_API_BASE_URL,
    marketplaceId: config.EBAY_MARKETPLACE_ID,
    credentials: () => {
      ebayCredentials ??= readEbayCredentials();
      ebayCredentials.catch(() => {
        ebayCredentials = undefined;
      });
      return ebayCredentials;
    },
  });
  const ownSql = !given.sql;
  const ownAws = !given.aws;
  const db = sql;
  const apiKeys = createApiKeyProvider({
    secrets: aws.secrets,
    secretId: config.API_KEY_SECRET_ID,
    ttlMs: config.API_KEY_CACHE_SECONDS * 1000,
    log,
  });
  try {
    // The key lives in Secrets Manager, not in the environment: its length is checked here, at start.
    await checkApiKeysAtStart(apiKeys, log);
  } catch (error) {
    if (ownSql) await db.end({ timeout: 5 });
    if (ownAws) aws.destroy();
    presignAws?.destroy();
    throw error;
  }
  return {
    config,
    sql: db,
    aws,
    presignS3: presignAws?.s3,
    manifest,
    names,
    bucket: config.IMAGE_BUCKET ?? names.bucket("images"),
    queues: createQueueDirectory({ sqs: aws.sqs, names }),
    log,
    ebay,
    apiKeys,
    clock: { now: () => new Date() },
    async close() {
      if (ownSql) await db.end({ timeout: 5 });
      if (ownAws) aws.destroy();
      presignAws?.destroy();
    },
  };
}
