import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";

/** What a contract case gets: plain SDK v3 clients pointed at one backend, nothing else special. */
export interface ContractContext {
  backend: string;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  sqs: SQSClient;
  s3: S3Client;
  secrets: SecretsManagerClient;
  /** A resource name no other case uses (lowercase, valid for queues, buckets and secrets). */
  uniqueName(prefix: string): string;
  destroy(): void;
}

let counter = 0;

export function createContractContext(backend: string, endpoint: string): ContractContext {
  const region = "us-east-1";
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  const common = { endpoint, region, credentials };
  const sqs = new SQSClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  const secrets = new SecretsManagerClient(common);
  const run = Date.now().toString(36);
  return {
    backend,
    endpoint,
    region,
    credentials,
    sqs,
    s3,
    secrets,
    uniqueName: (prefix) => `${prefix}-${run}-${++counter}`,
    destroy() {
      sqs.destroy();
      s3.destroy();
      secrets.destroy();
    },
  };
}
