/**
 * The Runtime API against the real AWS Lambda runtime interface client for Node.js: the client
 * the worker's base image runs as /var/runtime/bootstrap (the stand-in image of
 * shared/compose-standins carries the same npm package). A container of the base image, run
 * with Lambda's constraints (read-only root, 512 MB /tmp, memory cap, non-root user) and
 * AWS_LAMBDA_RUNTIME_API pointing here, loads a handler from /var/task and pulls invocations.
 * Skips, saying why, without a Docker engine or the image.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createLogger } from "@bluemoxon/core";
import { invocationContext, lambdaReservedEnv } from "@bluemoxon/event-source-mapping/invocation-context";
import { RuntimeApi } from "@bluemoxon/event-source-mapping/runtime-api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dockerEngineProblem, ensureImage, run } from "../support/docker.ts";

const baseImage = "public.ecr.aws/lambda/nodejs:22.2025.08.04.11";
const handlers = fileURLToPath(new URL("./runtime-handlers/", import.meta.url));
const fn = { physicalName: "bluemoxon-local-ric-test", region: "us-east-1", accountId: "000000000000", memoryMb: 256 };

const engine = await dockerEngineProblem();
const image = engine ? { problem: engine } : await ensureImage(baseImage);
const skip = "problem" in image ? image.problem : null;
if (skip) console.log(`[runtime api × runtime client] skipped: ${skip}`);

const log = createLogger({ service: "runtime-api-ric-test", level: "error" });
const containers: string[] = [];
let api: RuntimeApi;

/** A container of the base image running `handler` under Lambda's constraints, pulling from `api`. */
async function environment(handler: string, restart = false): Promise<string> {
  const name = `bmx-ric-${randomBytes(4).toString("hex")}`;
  const env = lambdaReservedEnv(fn, { handler, taskRoot: "/var/task", runtimeApi: api.address });
  const args = ["run", "-d", "--name", name, "--network", "host", "--read-only", "--tmpfs", "/tmp:size=512m,mode=1777"];
  args.push("--memory", `${fn.memoryMb}m`, "--user", "1000:1000", "-v", `${handlers}:/var/task:ro`);
  if (restart) args.push("--restart", "on-failure:5");
  for (const [k, v] of Object.entries(env)) if (k !== "_HANDLER" && k !== "LAMBDA_TASK_ROOT") args.push("-e", `${k}=${v}`);
  const res = await run("docker", [...args, baseImage, handler], { timeoutMs: 60_000 });
  if (res.code !== 0) throw new Error(`docker run failed: ${res.stderr}`);
  containers.push(name);
  return name;
}

describe.skipIf(Boolean(skip))("Lambda Runtime API × aws-lambda-ric (the base image's runtime client)", () => {
  beforeAll(async () => {
    api = await RuntimeApi.listen({ log });
  });
  // One environment at a time: every container calls from 127.0.0.1 (host network), one key.
  afterEach(async () => {
    if (containers.length) await run("docker", ["rm", "-f", ...containers.splice(0)], { timeoutMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it("runs the handler with Lambda's context and environment, warm across invocations; a thrown error is a function error", async () => {
    await environment("context.handler");
    const env = await api.claim(120_000);
    const first = invocationContext(fn, "7f6a0b1e-0000-4000-8000-000000000001", 30_000);
    const answer = (await env.invoke({ hello: "world" }, first, 30_000)) as {
      event: unknown;
      context: Record<string, string> & { remainingMs: number };
      env: Record<string, string>;
      uid: number;
      writes: unknown;
    };
    expect(answer.event).toEqual({ hello: "world" });
    expect(answer.context).toMatchObject({
      awsRequestId: first.awsRequestId,
      functionName: fn.physicalName,
      functionVersion: "$LATEST",
      memoryLimitInMB: "256",
      invokedFunctionArn: first.invokedFunctionArn,
      logGroupName: "/aws/lambda/bluemoxon-local-ric-test",
    });
    expect(answer.context.remainingMs).toBeGreaterThan(0);
    expect(answer.context.remainingMs).toBeLessThanOrEqual(30_000);
    expect(answer.env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: fn.physicalName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_LAMBDA_RUNTIME_API: api.address,
    });
    // The trace header reached the handler, as the runtime client passes it on.
    expect(answer.env._X_AMZN_TRACE_ID).toMatch(/^Root=1-/);
    // Lambda's filesystem: the code is read-only, /tmp is writable; not root.
    expect(answer.writes).toEqual({ taskRoot: "EROFS", tmp: "written" });
    expect(answer.uid).toBe(1000);

    const failed = env.invoke({ fail: "on purpose" }, invocationContext(fn, "req-2", 30_000), 30_000);
    await expect(failed).rejects.toMatchObject({ kind: "error", message: "TypeError: asked to fail: on purpose" });
    // Still warm: the same environment answers the next one.
    await expect(env.invoke({ again: true }, invocationContext(fn, "req-3", 30_000), 30_000)).resolves.toMatchObject({
      event: { again: true },
    });
    env.kill();
  }, 180_000);

  it("a handler that ends its process crashes the invocation; the restarted runtime is a new environment", async () => {
    await environment("context.handler", true);
    const env = await api.claim(120_000);
    const crashed = env.invoke({ exit: true }, invocationContext(fn, "req-exit", 60_000), 60_000);
    await expect(crashed).rejects.toMatchObject({ kind: "crash" });
    const replacement = await api.claim(120_000);
    expect(replacement).not.toBe(env);
    await expect(replacement.invoke({ after: 1 }, invocationContext(fn, "req-after", 30_000), 30_000)).resolves.toMatchObject({
      event: { after: 1 },
    });
    replacement.kill();
  }, 240_000);

  it("a module that cannot load is reported on init/error and fails the batch waiting for it", async () => {
    await environment("init-fails.handler");
    await expect(api.claim(120_000)).rejects.toMatchObject({ kind: "error", message: expect.stringContaining("init fails on purpose") });
  }, 180_000);
});
