/**
 * Creates the manifest's queues (DLQ first, then the queue with its RedrivePolicy), buckets and
 * secrets through the AWS SDK, so the same code provisions the embedded emulator (`npm start`),
 * LocalStack (compose) and moto (tests). Idempotent: existing resources are kept, queue
 * attributes are brought in line with the manifest, existing secret values are left alone.
 */
import { CreateBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { AwsClients } from "./aws-clients.ts";
import type { Logger } from "./logger.ts";
import type { Manifest, QueueSpec } from "./manifest.ts";
import { resourceNames } from "./resource-names.ts";

export interface ProvisionOptions {
  clients: Pick<AwsClients, "sqs" | "s3" | "secrets">;
  manifest: Manifest;
  environment: string;
  /** Initial values by logical secret name; a secret that already exists keeps its value unless `overwriteSecrets`. */
  secretValues?: Record<string, string>;
  overwriteSecrets?: boolean;
  log?: Logger;
}

export interface ProvisionedQueue {
  name: string;
  url: string;
  arn: string;
  dlqName: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface Provisioned {
  queues: Record<string, ProvisionedQueue>;
  buckets: Record<string, string>;
  secrets: Record<string, { name: string; arn: string }>;
}

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? "";
}

async function ensureQueue(clients: ProvisionOptions["clients"], name: string, attributes: Record<string, string>) {
  try {
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return QueueUrl!;
  } catch (error) {
    // Exists with other attributes (an older manifest): bring them in line.
    if (!/QueueAlreadyExists|QueueNameExists/.test(errorName(error))) throw error;
    const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl!;
  }
}

async function queueArn(clients: ProvisionOptions["clients"], url: string): Promise<string> {
  const out = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no QueueArn`);
  return arn;
}

function queueAttributes(spec: QueueSpec): Record<string, string> {
  return {
    VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(spec.messageRetentionSeconds),
    ReceiveMessageWaitTimeSeconds: String(spec.receiveWaitTimeSeconds),
    DelaySeconds: String(spec.delaySeconds),
  };
}

/**
 * @example
 * const out = await provisionPipeline({ clients, manifest, environment: "local",
 *   secretValues: { "api-key": JSON.stringify({ keys: [key] }) } });
 * out.queues["image-processing"].url;
 */
export async function provisionPipeline(options: ProvisionOptions): Promise<Provisioned> {
  const { clients, manifest, environment, secretValues = {}, overwriteSecrets = false, log } = options;
  const names = resourceNames(manifest, { environment });
  const result: Provisioned = { queues: {}, buckets: {}, secrets: {} };

  for (const [logical, spec] of Object.entries(manifest.queues)) {
    const dlqName = names.dlq(logical);
    const dlqUrl = await ensureQueue(clients, dlqName, {
      MessageRetentionPeriod: String(spec.deadLetter.messageRetentionSeconds),
    });
    const dlqArn = await queueArn(clients, dlqUrl);
    const name = names.queue(logical);
    const url = await ensureQueue(clients, name, {
      ...queueAttributes(spec),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.deadLetter.maxReceiveCount }),
    });
    result.queues[logical] = { name, url, arn: await queueArn(clients, url), dlqName, dlqUrl, dlqArn };
    log?.debug("queue provisioned", { queue: name, dlq: dlqName });
  }

  for (const logical of Object.keys(manifest.buckets)) {
    const bucket = names.bucket(logical);
    try {
      await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch {
      try {
        await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      } catch (error) {
        if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(errorName(error))) throw error;
      }
    }
    result.buckets[logical] = bucket;
    log?.debug("bucket provisioned", { bucket });
  }

  for (const [logical, spec] of Object.entries(manifest.secrets)) {
    const name = names.secret(logical);
    const value = secretValues[logical];
    let arn: string | undefined;
    try {
      const described = await clients.secrets.send(new DescribeSecretCommand({ SecretId: name }));
      arn = described.ARN;
      if (value !== undefined && overwriteSecrets) {
        await clients.secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
      }
    } catch (error) {
      if (errorName(error) !== "ResourceNotFoundException") throw error;
      const created = await clients.secrets.send(
        new CreateSecretCommand({ Name: name, Description: spec.description, ...(value !== undefined ? { SecretString: value } : {}) }),
      );
      arn = created.ARN;
    }
    result.secrets[logical] = { name, arn: arn! };
    log?.debug("secret provisioned", { secret: name });
  }
  return result;
}
