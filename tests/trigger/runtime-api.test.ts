/**
 * The Lambda Runtime API the mapping serves, driven over HTTP the way a runtime interface client
 * drives it (GET next, POST response / error / init error), checked against what AWS documents:
 * the invocation headers, 202 answers with a content-length, 400 for an id that is not running,
 * 413 over 6 MB; and what the mapping enforces: the invocation timeout, a runtime that starts
 * again mid-invocation counted as a crash, init errors and the wait for an environment.
 * `runtime-api-ric.test.ts` does the same with the real client in the worker's base image.
 */
import { request } from "node:http";
import { createLogger } from "@bluemoxon/core";
import { InvocationError } from "@bluemoxon/event-source-mapping";
import { invocationContext } from "@bluemoxon/event-source-mapping/invocation-context";
import { RuntimeApi } from "@bluemoxon/event-source-mapping/runtime-api";
import { afterEach, describe, expect, it } from "vitest";

const log = createLogger({ service: "runtime-api-test", level: "error" });
const fn = { physicalName: "bluemoxon-local-test-fn", region: "us-east-1", accountId: "000000000000", memoryMb: 256 };
const apis: RuntimeApi[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP exchange; `agent: false` gives each call its own connection, as a new process would. */
function call(address: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const next = (api: RuntimeApi) => call(api.address, "GET", "/2018-06-01/runtime/invocation/next");
const post = (api: RuntimeApi, path: string, body: unknown, headers?: Record<string, string>) =>
  call(api.address, "POST", `/2018-06-01/runtime${path}`, typeof body === "string" ? body : JSON.stringify(body), headers);

async function started() {
  const api = await RuntimeApi.listen({ log });
  apis.push(api);
  return api;
}

describe("Lambda Runtime API (2018-06-01)", () => {
  it("hands the event to the runtime's next call with the documented headers and returns its response", async () => {
    const api = await started();
    const polling = next(api);
    const env = await api.claim(10_000);
    const context = invocationContext(fn, "c0ffee00-0000-4000-8000-000000000001", 30_000);
    const result = env.invoke({ Records: [{ body: "hello" }] }, context, 30_000);
    const got = await polling;
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toEqual({ Records: [{ body: "hello" }] });
    expect(got.headers["lambda-runtime-aws-request-id"]).toBe(context.awsRequestId);
    expect(got.headers["lambda-runtime-deadline-ms"]).toBe(String(context.deadlineMs));
    expect(got.headers["lambda-runtime-invoked-function-arn"]).toBe(
      "arn:aws:lambda:us-east-1:000000000000:function:bluemoxon-local-test-fn",
    );
    expect(got.headers["lambda-runtime-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    expect(got.headers["content-length"]).toBe(String(Buffer.byteLength(got.body)));

    const answer = await post(api, `/invocation/${context.awsRequestId}/response`, { batchItemFailures: [] });
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ status: "OK" });
    expect(answer.headers["content-length"]).toBe(String(Buffer.byteLength(answer.body)));
    await expect(result).resolves.toEqual({ batchItemFailures: [] });
    // A second answer for the same invocation, or one for an id never handed out, is refused.
    expect((await post(api, `/invocation/${context.awsRequestId}/response`, {})).status).toBe(400);
    expect((await post(api, "/invocation/not-an-id/response", {})).status).toBe(400);
  });

  it("keeps an environment warm: the next invocation goes to the same runtime's next call", async () => {
    const api = await started();
    const first = next(api);
    const env = await api.claim(10_000);
    for (const n of [1, 2, 3]) {
      const polling = n === 1 ? first : next(api);
      const context = invocationContext(fn, `req-${n}`, 30_000);
      const result = env.invoke({ n }, context, 30_000);
      const got = await polling;
      expect(JSON.parse(got.body)).toEqual({ n });
      await post(api, `/invocation/req-${n}/response`, { n });
      await expect(result).resolves.toEqual({ n });
    }
    expect(api.live()).toHaveLength(1);
  });

  it("a function error rejects the invocation with its type and message", async () => {
    const api = await started();
    const polling = next(api);
    const env = await api.claim(10_000);
    const result = env.invoke({}, invocationContext(fn, "req-err", 30_000), 30_000);
    // Its rejection is awaited below; the runtime's call may settle it first.
    result.catch(() => undefined);
    await polling;
    const answer = await post(
      api,
      "/invocation/req-err/error",
      { errorType: "TypeError", errorMessage: "boom", stackTrace: ["at x"] },
      { "lambda-runtime-function-error-type": "Unhandled" },
    );
    expect(answer.status).toBe(202);
    await expect(result).rejects.toMatchObject({ kind: "error", message: "TypeError: boom" });
  });

  it("refuses a response over Lambda's 6 MB and fails the invocation", async () => {
    const api = await started();
    const polling = next(api);
    const env = await api.claim(10_000);
    const result = env.invoke({}, invocationContext(fn, "req-big", 30_000), 30_000);
    // Its rejection is awaited below; the runtime's call may settle it first.
    result.catch(() => undefined);
    await polling;
    const answer = await post(api, "/invocation/req-big/response", "x".repeat(6 * 1024 * 1024 + 1));
    expect(answer.status).toBe(413);
    await expect(result).rejects.toBeInstanceOf(InvocationError);
  });

  it("times an invocation out (the environment is not used again) and keeps waiting for a new one", async () => {
    const api = await started();
    const polling = next(api);
    const env = await api.claim(10_000);
    const result = env.invoke({}, invocationContext(fn, "req-slow", 200), 200);
    // Its rejection is awaited below; the runtime's call may settle it first.
    result.catch(() => undefined);
    await polling;
    await expect(result).rejects.toMatchObject({ kind: "timeout", message: "Task timed out after 0.20 seconds" });
    env.kill();
    expect(env.alive).toBe(false);
    // The late answer of the timed-out handler is refused; the runtime's next call is a new environment.
    expect((await post(api, "/invocation/req-slow/response", {})).status).toBe(400);
    next(api).catch(() => undefined);
    const replacement = await api.claim(10_000);
    expect(replacement).not.toBe(env);
    expect(replacement.alive).toBe(true);
  });

  it("a runtime that calls next again mid-invocation has restarted: that invocation crashed", async () => {
    const api = await started();
    const polling = next(api);
    const env = await api.claim(10_000);
    const result = env.invoke({}, invocationContext(fn, "req-oom", 30_000), 30_000);
    // Its rejection is awaited below; the runtime's call may settle it first.
    result.catch(() => undefined);
    await polling;
    // The process died (say, out of memory) and its container started it again.
    next(api).catch(() => undefined);
    await expect(result).rejects.toMatchObject({ kind: "crash" });
    expect(env.alive).toBe(false);
    const replacement = await api.claim(10_000);
    expect(replacement.alive).toBe(true);
  });

  it("an init error fails the batch waiting for an environment; no caller waits forever", async () => {
    const api = await started();
    const waiting = expect(api.claim(10_000)).rejects.toMatchObject({
      kind: "error",
      message: expect.stringContaining("Runtime.ImportModuleError"),
    });
    const answer = await post(api, "/init/error", { errorType: "Runtime.ImportModuleError", errorMessage: "Cannot find module 'handler'" });
    expect(answer.status).toBe(202);
    await waiting;
    expect(api.initErrors).toHaveLength(1);
    await expect(api.claim(100)).rejects.toMatchObject({ kind: "timeout" });
  });

  it("answers unknown resources and wrong methods with JSON errors", async () => {
    const api = await started();
    const missing = await call(api.address, "GET", "/2018-06-01/runtime/nothing");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ errorType: "NotFound" });
    expect((await call(api.address, "POST", "/2018-06-01/runtime/invocation/next")).status).toBe(405);
  });
});
