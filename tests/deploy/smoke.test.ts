/**
 * The worker smoke test's event and verdict (scripts/deploy/smoke.ts), and the smoke CLI's strict
 * flags. The event must be a valid v1 message (so a healthy worker reaches the database and calls
 * the job "not ready", instead of rejecting the body), for a job and a queue that do not exist (so
 * nothing changes anywhere); the verdict accepts only the answer a healthy worker gives.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { parseImageJobMessage, repoRoot } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";
import { workerSmokeEvent, workerSmokeProblem } from "../../scripts/deploy/smoke.ts";

function smokeCli(...args: string[]) {
  return new Promise<{ code: number; output: string }>((ok) => {
    execFile(
      process.execPath,
      [resolve(repoRoot, "scripts/smoke.mjs"), ...args],
      { cwd: repoRoot, timeout: 60_000 },
      (error, stdout, stderr) => ok({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe("worker smoke test", () => {
  it("sends one valid v1 message for a job that does not exist, from a queue that does not exist", () => {
    const a = workerSmokeEvent("us-east-1");
    const b = workerSmokeEvent("us-east-1");
    expect(a.event.Records).toHaveLength(1);
    const [record] = a.event.Records;
    expect(record.messageId).toBe(a.messageId);
    expect(record.eventSource).toBe("aws:sqs");
    expect(record.eventSourceARN).toMatch(/^arn:aws:sqs:us-east-1:\d{12}:smoke-test-no-such-queue$/);
    const message = parseImageJobMessage(record.body);
    expect(message.v).toBe(1);
    // Fresh ids on every run: never an existing job.
    expect(parseImageJobMessage(b.event.Records[0].body).jobId).not.toBe(message.jobId);
    expect(b.messageId).not.toBe(a.messageId);
  });

  it("passes only when the worker answers without a FunctionError and names the smoke record as not done", () => {
    const id = "smoke-1";
    expect(workerSmokeProblem(id, {}, JSON.stringify({ batchItemFailures: [{ itemIdentifier: id }] }))).toBeUndefined();
    // A broken onnxruntime or model fails the module's init: Lambda reports a FunctionError.
    expect(
      workerSmokeProblem(
        id,
        { FunctionError: "Unhandled" },
        JSON.stringify({ errorType: "Runtime.ImportModuleError", errorMessage: "libonnxruntime.so" }),
      ),
    ).toMatch(/the function failed \(Unhandled\).*libonnxruntime/);
    // A worker that claims to have processed a job that does not exist is not healthy either.
    expect(workerSmokeProblem(id, {}, JSON.stringify({ batchItemFailures: [] }))).toMatch(/should name the smoke record/);
    expect(workerSmokeProblem(id, {}, JSON.stringify({ batchItemFailures: [{ itemIdentifier: "other" }] }))).toMatch(/should name/);
    expect(workerSmokeProblem(id, {}, "null")).toMatch(/no batchItemFailures/);
    expect(workerSmokeProblem(id, {}, "<html>")).toMatch(/not JSON/);
  });

  it("the smoke CLI refuses an unknown flag and a call with nothing to test, with the usage and exit code 2", async () => {
    const unknown = await smokeCli("--worker", "bluemoxon-staging-image-worker", "--qualifer", "live");
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain("Unknown option '--qualifer'");
    expect(unknown.output).toContain("usage: smoke.mjs");
    const nothing = await smokeCli();
    expect(nothing.code).toBe(2);
    expect(nothing.output).toContain("--api (with --secret-id) or --worker is required");
  }, 120_000);
});
