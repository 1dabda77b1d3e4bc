/**
 * Smoke tests of a deployed environment.
 *
 * - API: `/health` (no auth), `/health/deep` with a key read from Secrets Manager, one
 *   authenticated read, and proof that the read refuses a missing key.
 * - Worker: its `live` alias invoked with a synthetic SQS event (a v1 message for a job that does
 *   not exist, from a queue that does not exist, so nothing changes anywhere). The handler module
 *   loads onnxruntime and the model at init (top-level await), so an image with a broken runtime
 *   or model fails here with a FunctionError; a healthy one answers `{ batchItemFailures }`
 *   naming the record (the job is "not ready").
 *
 *   zx scripts/smoke.mjs --api https://abc.execute-api.us-east-1.amazonaws.com --secret-id bluemoxon-staging/api-key
 *   zx scripts/smoke.mjs --worker bluemoxon-staging-image-worker
 *
 * Options: --region (default pipeline.json's), --endpoint (AWS endpoint, e.g. moto/LocalStack), --profile,
 * --read-path (default /api/v1/books?limit=1), --timeout-ms (per request, default 15000), --qualifier (default live).
 * The key is never printed. Exit code 0 = every check passed, 1 = a check failed, 2 = usage.
 */
import { randomUUID } from "node:crypto";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { loadManifest } from "@bluemoxon/core";
import { parseCli, runCli, UsageError } from "./cli-args.ts";
import { type AwsTarget, awsClient } from "./deploy-clients.ts";

/** The first (current) key of an `{"keys": [...]}` secret, or a plain-string secret. */
export function currentKey(secretString: string): string {
  try {
    const parsed = JSON.parse(secretString);
    if (Array.isArray(parsed?.keys) && typeof parsed.keys[0] === "string" && parsed.keys[0] !== "") return parsed.keys[0];
  } catch {
    // not JSON: a plain key
  }
  if (secretString.trim() !== "" && !secretString.trim().startsWith("{")) return secretString.trim();
  throw new Error('the API key secret holds no key (expected {"keys": ["current", ...]})');
}

type Log = (line: string) => void;

async function check(log: Log, name: string, fn: () => Promise<unknown>): Promise<boolean> {
  const started = Date.now();
  try {
    const detail = await fn();
    log(`✔ ${name} (${Date.now() - started} ms${typeof detail === "string" ? ` · ${detail}` : ""})`);
    return true;
  } catch (error) {
    log(`✘ ${name}: ${(error as Error).message}`);
    return false;
  }
}

export interface ApiSmokeOptions extends Partial<AwsTarget> {
  api: string;
  secretId: string;
  readPath?: string;
  timeoutMs?: number;
  log?: Log;
}

/** Runs the API checks; resolves to true when every one passed. */
export async function smokeApi({
  api,
  secretId,
  region = loadManifest().region,
  endpoint,
  profile,
  readPath = "/api/v1/books?limit=1",
  timeoutMs = 15_000,
  log = console.log,
}: ApiSmokeOptions): Promise<boolean> {
  const base = api.replace(/\/+$/, "");
  // The profile of the environment under test (promote --to-profile), not whatever AWS_PROFILE is.
  const secrets = awsClient(SecretsManagerClient, { region, endpoint, profile });
  const get = (path: string, key?: string) =>
    fetch(`${base}${path}`, { headers: key ? { "x-api-key": key } : {}, signal: AbortSignal.timeout(timeoutMs) });
  let key: string | undefined;
  const results: boolean[] = [];
  try {
    results.push(
      await check(log, `secret ${secretId} holds an API key`, async () => {
        const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
        key = currentKey(SecretString ?? "");
      }),
    );
  } finally {
    secrets.destroy();
  }
  results.push(
    await check(log, `GET ${base}/health`, async () => {
      const res = await get("/health");
      if (res.status !== 200) throw new Error(`status ${res.status}`);
    }),
  );
  results.push(
    await check(log, `GET ${base}/health/deep (authenticated)`, async () => {
      if (!key) throw new Error("no API key");
      const res = await get("/health/deep", key);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`status ${res.status}: ${body.slice(0, 300)}`);
    }),
  );
  results.push(
    await check(log, `GET ${base}${readPath} (authenticated read)`, async () => {
      if (!key) throw new Error("no API key");
      const res = await get(readPath, key);
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      await res.json();
    }),
  );
  results.push(
    await check(log, `GET ${base}${readPath} without a key is refused`, async () => {
      const res = await get(readPath);
      if (res.status !== 401 && res.status !== 403) throw new Error(`status ${res.status}, expected 401`);
    }),
  );
  return results.every(Boolean);
}

/** The synthetic SQS event of the worker smoke test: one record for a job that does not exist. */
export function workerSmokeEvent(region: string) {
  const messageId = `smoke-${randomUUID()}`;
  const body = JSON.stringify({ v: 1, jobId: randomUUID(), bookId: randomUUID(), imageId: randomUUID(), sourceKey: "smoke/none.jpg" });
  return {
    messageId,
    event: {
      Records: [
        {
          messageId,
          receiptHandle: "smoke-test",
          body,
          attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()) },
          messageAttributes: {},
          md5OfBody: "",
          eventSource: "aws:sqs",
          eventSourceARN: `arn:aws:sqs:${region}:000000000000:smoke-test-no-such-queue`,
          awsRegion: region,
        },
      ],
    },
  };
}

/**
 * Why the worker's answer to the smoke event is not a healthy one, or undefined when it is: no
 * FunctionError, and a `{ batchItemFailures }` that names exactly the smoke record.
 */
export function workerSmokeProblem(messageId: string, invoke: { FunctionError?: string }, payload: string): string | undefined {
  if (invoke.FunctionError) return `the function failed (${invoke.FunctionError}): ${payload.slice(0, 500)}`;
  let parsed: { batchItemFailures?: { itemIdentifier?: string }[] };
  try {
    parsed = JSON.parse(payload);
  } catch {
    return `the answer is not JSON: ${payload.slice(0, 200)}`;
  }
  const failures = parsed?.batchItemFailures;
  if (!Array.isArray(failures)) return `the answer has no batchItemFailures: ${payload.slice(0, 200)}`;
  if (failures.length !== 1 || failures[0]?.itemIdentifier !== messageId)
    return `the answer should name the smoke record (its job does not exist): ${payload.slice(0, 200)}`;
  return undefined;
}

export interface WorkerSmokeOptions extends Partial<AwsTarget> {
  functionName: string;
  qualifier?: string;
  log?: Log;
}

/** Invokes the worker with the smoke event; resolves to true when it answered as a healthy worker does. */
export async function smokeWorker({
  functionName,
  qualifier = "live",
  region = loadManifest().region,
  endpoint,
  profile,
  log = console.log,
}: WorkerSmokeOptions): Promise<boolean> {
  const lambda = awsClient(LambdaClient, { region, endpoint, profile });
  try {
    return await check(log, `worker ${functionName}:${qualifier} answers a synthetic SQS event`, async () => {
      const { messageId, event } = workerSmokeEvent(region);
      const invoked = await lambda.send(
        new InvokeCommand({ FunctionName: functionName, Qualifier: qualifier, Payload: Buffer.from(JSON.stringify(event)) }),
      );
      const problem = workerSmokeProblem(messageId, invoked, Buffer.from(invoked.Payload ?? []).toString("utf8"));
      if (problem) throw new Error(problem);
    });
  } finally {
    lambda.destroy();
  }
}

export const usage =
  "smoke.mjs (--api URL --secret-id ID | --worker FUNCTION) [--qualifier live] [--region R] [--endpoint URL] [--profile P] [--read-path P] [--timeout-ms N]";

/** The command line; resolves to the exit code. */
export function main(args: string[]): Promise<number> {
  return runCli(usage, async () => {
    const { values, positionals } = parseCli(args, {
      api: { type: "string" },
      "secret-id": { type: "string" },
      worker: { type: "string" },
      qualifier: { type: "string" },
      region: { type: "string" },
      endpoint: { type: "string" },
      profile: { type: "string" },
      "read-path": { type: "string" },
      "timeout-ms": { type: "string" },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.api && !values.worker) throw new UsageError("--api (with --secret-id) or --worker is required");
    if (values.api && !values["secret-id"]) throw new UsageError("--secret-id is required with --api");
    const timeoutMs = values["timeout-ms"] ? Number(values["timeout-ms"]) : undefined;
    if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new UsageError("--timeout-ms must be a positive number");
    const target = { region: values.region, endpoint: values.endpoint, profile: values.profile };
    let ok = true;
    if (values.api)
      ok = await smokeApi({ ...target, api: values.api, secretId: values["secret-id"] ?? "", readPath: values["read-path"], timeoutMs });
    if (values.worker) ok = (await smokeWorker({ ...target, functionName: values.worker, qualifier: values.qualifier })) && ok;
    console.log(ok ? "smoke test passed" : "smoke test FAILED");
    return ok ? 0 : 1;
  });
}
