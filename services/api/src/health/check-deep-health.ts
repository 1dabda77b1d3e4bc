/**
 * `GET /health/deep`: every dependency the API needs, each with its own status and latency.
 * Queues come from `pipeline.json`, so a queue added there is checked without touching this
 * file, and a queue missing in the account shows up here as a failed check.
 */
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { errorMessage } from "@bluemoxon/core";
import type { ApiDeps } from "../api-deps.ts";

export interface HealthCheck {
  name: string;
  status: "ok" | "failed";
  latencyMs: number;
  error?: string;
  details?: Record<string, number | string>;
}

export interface DeepHealth {
  status: "ok" | "failed";
  checks: HealthCheck[];
}

async function timed(
  name: string,
  fn: () => Promise<Record<string, number | string> | undefined>,
  timeoutMs: number,
): Promise<HealthCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const details = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name, status: "ok", latencyMs: Math.round(performance.now() - started), ...(details ? { details } : {}) };
  } catch (error) {
    // AWS error names (QueueDoesNotExist, NotFound, AccessDenied) say more than their messages.
    const name_ = (error as { name?: string }).name;
    const message = errorMessage(error);
    return {
      name,
      status: "failed",
      latencyMs: Math.round(performance.now() - started),
      error: name_ && name_ !== "Error" && !message.includes(name_) ? `${name_}: ${message}` : message,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @example
 * const health = await checkDeepHealth(deps); // { status: "ok", checks: [{ name: "database", … }, …] }
 */
export async function checkDeepHealth(
  deps: Pick<ApiDeps, "sql" | "aws" | "bucket" | "manifest" | "names" | "config">,
  { timeoutMs = 5_000 }: { timeoutMs?: number } = {},
): Promise<DeepHealth> {
  const { sqs } = deps.aws;
  const depth = async (QueueName: string) => {
    // GetQueueUrl on every check (not the cached URL) so a deleted queue is noticed.
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName }));
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    return {
      depth: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  };
  const checks = await Promise.all([
    timed(
      "database",
      async () => {
        await deps.sql`SELECT 1`;
        return undefined;
      },
      timeoutMs,
    ),
    timed(
      `bucket:${deps.bucket}`,
      async () => {
        await deps.aws.s3.send(new HeadBucketCommand({ Bucket: deps.bucket }));
        return undefined;
      },
      timeoutMs,
    ),
    ...Object.keys(deps.manifest.queues).map((logical) =>
      timed(
        `queue:${logical}`,
        async () => {
          const main = await depth(deps.names.queue(logical));
          const dlq = await depth(deps.names.dlq(logical));
          return { queue: deps.names.queue(logical), ...main, dlqDepth: dlq.depth };
        },
        timeoutMs,
      ),
    ),
    timed(
      "secretsmanager",
      async () => {
        // Reads the API key secret itself (the one permission the API has); the value is discarded.
        await deps.aws.secrets.send(new GetSecretValueCommand({ SecretId: deps.config.API_KEY_SECRET_ID }));
        return undefined;
      },
      timeoutMs,
    ),
  ]);
  return { status: checks.every((c) => c.status === "ok") ? "ok" : "failed", checks };
}
