/**
 * One log per function and one job's lines across them: the supervisor writes the worker
 * handler's lines (printed by the local AWS, whose children they are) to worker.log, and
 * `npm run logs -- --job <id>` prints a job's lines from the API, the mapping and the worker in
 * time order, joining the mapping's invocation line through the record's messageId.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";
import { Supervisor } from "../../scripts/dev/supervisor.ts";

const scratch = mkdtempSync(join(tmpdir(), "bmx-logs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("one log per function", () => {
  it("the worker handler's lines go to worker.log; the local AWS's own and non-JSON lines stay in local-aws.log", async () => {
    const logsDir = join(scratch, "supervised");
    mkdirSync(logsDir, { recursive: true });
    const supervisor = new Supervisor({ root: repoRoot, logsDir, onFatal: () => undefined });
    try {
      await supervisor.start({
        name: "local-aws",
        script: "tests/dev/fixtures/prints-services.ts",
        env: {},
        ready: /fixture ready/,
        serviceLogs: { "image-worker": "worker" },
      });
    } finally {
      await supervisor.shutdown([{ names: ["local-aws"], graceMs: 5_000 }]);
    }
    const own = readFileSync(join(logsDir, "local-aws.log"), "utf8");
    const worker = readFileSync(join(logsDir, "worker.log"), "utf8");
    expect(worker).toContain('"message":"handler line"');
    expect(worker).not.toContain("emulator line");
    expect(own).toContain('"message":"emulator line"');
    expect(own).toContain("not json");
    expect(own).not.toContain("handler line");
  });
});

describe("npm run logs -- --job", () => {
  const dir = join(scratch, "logs");
  const job = "11111111-2222-4333-8444-555555555555";
  const write = (file: string, lines: object[]) =>
    writeFileSync(join(dir, file), `--- start ---\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  const run = (args: string[]) =>
    spawnSync(process.execPath, [resolve(repoRoot, "scripts/logs.mjs"), ...args], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });

  it("prints the job's lines from every file in time order, with the mapping's invocation of its record", () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    write("api.log", [
      { time: "2026-12-07T10:00:00.000Z", service: "api", message: "job queued", jobId: job },
      { time: "2026-12-07T10:00:05.000Z", service: "api", message: "other job", jobId: "other" },
    ]);
    write("worker.log", [
      { time: "2026-12-07T10:00:02.000Z", service: "image-worker", message: "job completed", jobId: job, messageId: "m-1" },
      { time: "2026-12-07T10:00:01.000Z", service: "image-worker", message: "job started", jobId: job, messageId: "m-1" },
    ]);
    write("local-aws.log", [
      { time: "2026-12-07T10:00:03.000Z", service: "local-aws", message: "invocation", messageIds: ["m-1"], outcome: "success" },
      { time: "2026-12-07T10:00:04.000Z", service: "local-aws", message: "invocation", messageIds: ["m-2"], outcome: "success" },
    ]);
    const r = run(["--job", job, "--dir", dir]);
    expect(r.status, r.stderr).toBe(0);
    const messages = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l.slice(l.indexOf("{"))).message);
    expect(messages).toEqual(["job queued", "job started", "job completed", "invocation"]);
    expect(r.stdout).not.toContain("m-2");
    expect(r.stdout).not.toContain("other job");
  });

  it("exits 1 for a job with no lines, 2 without --job or a log folder, 0 on --help", () => {
    expect(run(["--job", "nope", "--dir", dir]).status).toBe(1);
    expect(run(["--dir", dir]).status).toBe(2);
    expect(run(["--job", job, "--dir", join(scratch, "missing")]).status).toBe(2);
    expect(run(["--help"]).status).toBe(0);
  });
});
