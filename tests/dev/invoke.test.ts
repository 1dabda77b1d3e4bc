/**
 * `npm run invoke`: one function called once against a running npm start stack, as Lambda would
 * call it — the API's migrate action, and the worker with a generated SQS event (a record that is
 * not a job, which the worker's handler reports in batchItemFailures) — response JSON on stdout,
 * logs on stderr, exit 0 / 1 / 2. With --image (when the worker image is built here) the same
 * event through the image's own runtime client and the Runtime API.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as runCommand } from "../support/docker.ts";
import { type Stack, startStack } from "../support/stack.ts";

const script = resolve(repoRoot, "scripts/invoke.mjs");
const scratch = mkdtempSync(join(tmpdir(), "bmx-invoke-"));

function invoke(args: string[], options: { dataDir?: string; stdin?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: repoRoot,
      env: { ...process.env, DATA_DIR: options.dataDir ?? join(scratch, "no-stack"), FORCE_COLOR: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end(options.stdin ?? "");
    child.on("exit", (code) => done({ code, stdout, stderr }));
  });
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("npm run invoke: the command line", () => {
  it("--help prints the usage and exits 0", async () => {
    const r = await invoke(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: npm run invoke");
  });
  it.each([
    [[], "name one function"],
    [["no-such-fn", "--sqs-body", "{}"], 'unknown function "no-such-fn"'],
    [["image-worker"], "--event or --sqs-body is required"],
    [["image-worker", "--bogus"], "Unknown option '--bogus'"],
    [["api", "--event", "/nonexistent.json"], "no such file"],
    [["image-worker", "--sqs-body", "{}"], "no running stack"],
  ])("%j exits 2 with what was wrong and the usage", async (args, message) => {
    const r = await invoke(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("usage: npm run invoke");
    expect(r.stdout).toBe("");
  });
  it("--print-event prints the SQS event it would send (no stack needed)", async () => {
    const r = await invoke(["image-worker", "--sqs-body", '{"v":1}', "--print-event"]);
    expect(r.code).toBe(0);
    const event = JSON.parse(r.stdout);
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toMatchObject({
      body: '{"v":1}',
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:bluemoxon-local-image-processing",
      attributes: { ApproximateReceiveCount: "1" },
    });
  });
});

describe("npm run invoke against a running npm start stack", () => {
  let stack: Stack;
  const dataDir = join(scratch, "stack");
  beforeAll(async () => {
    stack = await startStack({ dataDir, args: ["--no-watch"] });
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it("api: the migrate action runs the migrations and answers with the result", async () => {
    const r = await invoke(["api", "--event", "-"], { dataDir, stdin: '{"action":"migrate"}' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    // The function's logs go to stderr, never mixed into the response.
    expect(r.stderr).toContain("migrations applied");
  }, 180_000);

  it("image-worker: a generated SQS event; a record that is not a job comes back in batchItemFailures", async () => {
    const printed = await invoke(["image-worker", "--sqs-body", '{"v":1,"note":"not a job"}', "--print-event"]);
    const eventFile = join(scratch, "event.json");
    writeFileSync(eventFile, printed.stdout);
    const { messageId } = JSON.parse(printed.stdout).Records[0];
    const r = await invoke(["image-worker", "--event", eventFile], { dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ batchItemFailures: [{ itemIdentifier: messageId }] });
  }, 240_000);

  it("a function error exits 1 and says so on stderr", async () => {
    // Not an SQS event: the worker's handler throws.
    const r = await invoke(["image-worker", "--event", "-"], { dataDir, stdin: '{"Records":"not a list"}' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/image-worker failed \(error\)/);
    expect(r.stdout).toBe("");
  }, 240_000);

  it("--image: the worker image's own runtime client runs the same event through the Runtime API", async (ctx) => {
    const tag = process.env.INVOKE_TEST_IMAGE || "bluemoxon-compose-test-issue-26_worker";
    const present = await runCommand("docker", ["image", "inspect", tag], { timeoutMs: 30_000 });
    if (present.code !== 0) return ctx.skip(`no image ${tag} here (build it, or set INVOKE_TEST_IMAGE)`);
    const r = await invoke(["image-worker", "--image", "--tag", tag, "--sqs-body", '{"v":1,"note":"not a job"}'], { dataDir });
    expect(r.code, r.stderr).toBe(0);
    const response = JSON.parse(r.stdout);
    expect(response.batchItemFailures).toHaveLength(1);
  }, 300_000);
});
