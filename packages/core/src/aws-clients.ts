/**
 * AWS SDK v3 clients built from config. Outside AWS the endpoint is the standard
 * `AWS_ENDPOINT_URL` (emulator or LocalStack) and S3 uses path-style addressing; in AWS both are unset.
 */

import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export interface AwsConfig {
  region: string;
  /** `AWS_ENDPOINT_URL`; unset in AWS. */
  endpoint?: string;
  /** Static credentials; unset means the SDK's default chain (Lambda role, env, profile). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style S3 URLs (`http://host/bucket/key`); defaults to true when `endpoint` is set. */
  forcePathStyle?: boolean;
  maxSockets?: number;
  /** Retries per call (SDK default 3). */
  maxAttempts?: number;
}

export interface AwsClients {
  sqs: SQSClient;
  s3: S3Client;
  secrets: SecretsManagerClient;
  destroy(): void;
}

/** Reads the standard AWS variables into an `AwsConfig`. */
export function awsConfigFromEnv(env: Record<string, string | undefined> = process.env): AwsConfig {
  const endpoint = env.AWS_ENDPOINT_URL?.trim() || undefined;
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  return {
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "us-east-1",
    endpoint,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN?.trim() || undefined }
        : undefined,
    forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE ? env.AWS_S3_FORCE_PATH_STYLE === "true" : undefined,
  };
}

/**
 * @example
 * const aws = createAwsClients({ region: "us-east-1", endpoint: "http://127.0.0.1:4566",
 *   credentials: { accessKeyId: "test", secretAccessKey: "test" } });
 * await aws.sqs.send(new GetQueueUrlCommand({ QueueName: "q" }));
 */
export function createAwsClients(config: AwsConfig): AwsClients {
  const maxSockets = config.maxSockets ?? 50;
  const requestHandler = new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
  });
  const common = {
    region: config.region,
    endpoint: config.endpoint,
    credentials: config.credentials,
    requestHandler,
    maxAttempts: config.maxAttempts,
  };
  const sqs = new SQSClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: config.forcePathStyle ?? Boolean(config.endpoint) });
  const secrets = new SecretsManagerClient(common);
  return {
    sqs,
    s3,
    secrets,
    destroy() {
      sqs.destroy();
      s3.destroy();
      secrets.destroy();
    },
  };
}
