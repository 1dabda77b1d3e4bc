/** Everything the app needs, passed in so tests and the three entry points build it their own way. */
import type { AwsClients, Logger, Manifest, ResourceNames, Sql } from "@bluemoxon/core";
import type { ApiKeyProvider } from "./auth/api-key-provider.ts";
import type { ApiConfig } from "./config.ts";
import type { EbayClient } from "./ebay/ebay-client.ts";
import type { QueueDirectory } from "./jobs/queue-directory.ts";

export interface Clock {
  now(): Date;
}

export interface ApiDeps {
  config: ApiConfig;
  sql: Sql;
  aws: Pick<AwsClients, "sqs" | "s3" | "secrets">;
  /** Signs the photo URLs handed to browsers; differs from `aws.s3` when S3_PUBLIC_ENDPOINT is set. */
  presignS3?: AwsClients["s3"];
  manifest: Manifest;
  names: ResourceNames;
  /** Physical bucket name of the photos. */
  bucket: string;
  queues: QueueDirectory;
  log: Logger;
  ebay: EbayClient;
  apiKeys: ApiKeyProvider;
  clock: Clock;
}

/** The queue photos are sent to for background removal. */
export const imageQueue = "image-processing";
