/**
 * `pipeline.json` — the one list of queues, buckets, secrets, functions and permissions.
 *
 * Every consumer (emulator provisioning, compose provisioning, Terraform, health checks,
 * IAM policies) reads the manifest through this schema, so a resource exists in exactly one
 * place. Logical names (`images`, `image-processing`) become physical names by prefixing
 * them with the environment's prefix; see `resourceNames()`.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const logicalName = z.string().regex(/^[a-z][a-z0-9-]{0,40}[a-z0-9]$/, "use lower-case letters, digits and dashes (2–42 chars)");

/** Resource references used by permissions: `queue:NAME`, `dlq:NAME`, `bucket:NAME`, `objects:NAME`, `secret:NAME`. */
export const resourceRefPattern = /^(queue|dlq|bucket|objects|secret):([a-z][a-z0-9-]*[a-z0-9])$/;

export const permissionActions = [
  "sqs:SendMessage",
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueUrl",
  "sqs:GetQueueAttributes",
  "sqs:ListQueues",
  "sqs:PurgeQueue",
  "sqs:ListDeadLetterSourceQueues",
  "s3:GetObject",
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:ListBucket",
  "s3:GetBucketLocation",
  "secretsmanager:GetSecretValue",
  "secretsmanager:DescribeSecret",
] as const;
export type PermissionAction = (typeof permissionActions)[number];

const queueSchema = z
  .object({
    visibilityTimeoutSeconds: z.number().int().min(0).max(43_200),
    messageRetentionSeconds: z.number().int().min(60).max(1_209_600).default(345_600),
    receiveWaitTimeSeconds: z.number().int().min(0).max(20).default(20),
    delaySeconds: z.number().int().min(0).max(900).default(0),
    deadLetter: z.object(
      {
        maxReceiveCount: z.number().int().min(1).max(1000),
        messageRetentionSeconds: z.number().int().min(60).max(1_209_600).default(1_209_600),
        alarmThreshold: z.number().int().min(1).default(1),
      },
      { error: "every queue needs a deadLetter queue (maxReceiveCount)" },
    ),
  })
  .strict();

const functionSchema = z
  .object({
    description: z.string().optional(),
    image: z.string().describe("Container image (ECR repository logical name) that holds this function"),
    handler: z.string().describe("Module path (from the repo root) and export, e.g. services/worker/src/handler.ts#handler"),
    queue: logicalName.describe("Queue whose messages trigger this function"),
    batchSize: z.number().int().min(1).max(10_000),
    maximumBatchingWindowSeconds: z.number().int().min(0).max(300).default(0),
    maximumConcurrency: z.number().int().min(2).max(1000),
    timeoutSeconds: z.number().int().min(1).max(900),
    memoryMb: z.number().int().min(128).max(10_240),
    service: logicalName.describe("Service whose permissions this function's role gets"),
    requiredEnv: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).default([]),
  })
  .strict();

const serviceSchema = z
  .object({
    description: z.string().optional(),
    requiredEnv: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).default([]),
    permissions: z.array(
      z
        .object({
          actions: z.array(z.enum(permissionActions)).min(1),
          resources: z.array(z.string().regex(resourceRefPattern, "a resource is queue:|dlq:|bucket:|objects:|secret: and a name")).min(1),
        })
        .strict(),
    ),
  })
  .strict();

export const manifestSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    project: logicalName,
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
    environments: z.record(logicalName, z.object({ prefix: logicalName }).strict()),
    buckets: z.record(logicalName, z.object({ versioning: z.boolean().default(false) }).strict()),
    queues: z.record(logicalName, queueSchema),
    secrets: z.record(
      logicalName,
      z
        .object({
          description: z.string(),
          kind: z.enum(["api-keys", "json", "string"]),
          /** Top-level fields of a `json` secret the code needs non-empty (checked by scripts/preflight.mjs before a deploy). */
          fields: z.array(z.string().min(1)).optional(),
        })
        .strict(),
    ),
    images: z.record(logicalName, z.object({ dockerfile: z.string() }).strict()),
    functions: z.record(logicalName, functionSchema),
    services: z.record(logicalName, serviceSchema),
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const [name, fn] of Object.entries(m.functions)) {
      const queue = m.queues[fn.queue];
      if (!queue) {
        ctx.addIssue({ code: "custom", path: ["functions", name, "queue"], message: `unknown queue "${fn.queue}"` });
      } else if (queue.visibilityTimeoutSeconds < 6 * fn.timeoutSeconds) {
        ctx.addIssue({
          code: "custom",
          path: ["queues", fn.queue, "visibilityTimeoutSeconds"],
          message: `visibility timeout ${queue.visibilityTimeoutSeconds}s is under 6 × the timeout of function "${name}" (${fn.timeoutSeconds}s = ${6 * fn.timeoutSeconds}s)`,
        });
      }
      if (!m.services[fn.service]) {
        ctx.addIssue({ code: "custom", path: ["functions", name, "service"], message: `unknown service "${fn.service}"` });
      }
      if (!m.images[fn.image]) {
        ctx.addIssue({ code: "custom", path: ["functions", name, "image"], message: `unknown image "${fn.image}"` });
      }
    }
    for (const [name, svc] of Object.entries(m.services)) {
      svc.permissions.forEach((p, i) => {
        p.resources.forEach((ref, j) => {
          const [, kind, target] = resourceRefPattern.exec(ref) ?? [];
          const known =
            kind === "queue" || kind === "dlq"
              ? target in m.queues
              : kind === "bucket" || kind === "objects"
                ? target in m.buckets
                : target in m.secrets;
          if (!known) {
            ctx.addIssue({
              code: "custom",
              path: ["services", name, "permissions", i, "resources", j],
              message: `unknown permission resource "${ref}"`,
            });
          }
        });
      });
    }
  });

export type Manifest = z.output<typeof manifestSchema>;
export type QueueSpec = Manifest["queues"][string];
export type FunctionSpec = Manifest["functions"][string];

/** Thrown when `pipeline.json` does not match the schema; the message lists every problem. */
export class ManifestError extends Error {
  override name = "ManifestError";
}

/**
 * Validates a parsed manifest.
 * @example
 * const manifest = parseManifest(JSON.parse(readFileSync("pipeline.json", "utf8")));
 */
export function parseManifest(input: unknown): Manifest {
  const result = manifestSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ManifestError(`pipeline.json is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** Repository root (where `pipeline.json` lives). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const defaultManifestPath = resolve(repoRoot, "pipeline.json");

/**
 * Reads and validates `pipeline.json` (or another path, e.g. a test's modified copy).
 * @example
 * const manifest = loadManifest(); // <repo>/pipeline.json
 */
export function loadManifest(path: string = process.env.PIPELINE_MANIFEST || defaultManifestPath): Manifest {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (error) {
    throw new ManifestError(`cannot read manifest ${path}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ManifestError(`manifest ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseManifest(parsed);
}
