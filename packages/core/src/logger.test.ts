import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

function capture(level: "debug" | "info" = "debug") {
  const lines: string[] = [];
  const log = createLogger({ service: "test", level, write: (l) => lines.push(l) });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe("logger", () => {
  it("writes one JSON object per line with context from child()", () => {
    const { log, parsed } = capture();
    log.child({ jobId: "j1" }).info("done", { ms: 5 });
    expect(parsed()[0]).toMatchObject({ level: "info", service: "test", jobId: "j1", message: "done", ms: 5 });
  });

  it("drops lines below the level", () => {
    const { log, lines } = capture("info");
    log.debug("noise");
    expect(lines).toHaveLength(0);
  });

  it("redacts secret-looking fields at any depth", () => {
    const { log, lines } = capture();
    log.info("cfg", {
      apiKey: "k-123456",
      nested: { password: "hunter22", DATABASE_PASSWORD: "x" },
      headers: { authorization: "Bearer abc" },
    });
    expect(lines[0]).not.toMatch(/k-123456|hunter22|Bearer abc/);
    expect(JSON.parse(lines[0]).nested.password).toBe("[REDACTED]");
  });

  it("masks registered values anywhere, including in messages and errors of children", () => {
    const { log, lines } = capture();
    log.redactValue("s3cr3t-value-xyz");
    log
      .child({ requestId: "r" })
      .error("connect failed for postgres://u:s3cr3t-value-xyz@h/db", { error: new Error("bad s3cr3t-value-xyz") });
    expect(lines[0]).not.toContain("s3cr3t-value-xyz");
    expect(lines[0]).toContain("[REDACTED]");
  });

  it("serialises errors with name, message and cause", () => {
    const { log, parsed } = capture();
    log.error("x", { error: new TypeError("outer", { cause: new Error("inner") }) });
    expect(parsed()[0].error).toEqual({ name: "TypeError", message: "outer", cause: { name: "Error", message: "inner" } });
  });
});
