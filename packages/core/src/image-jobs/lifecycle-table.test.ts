import { describe, expect, it } from "vitest";
import { allowedFrom, canTransition, jobStatuses, terminalJobStatuses } from "./lifecycle-table.ts";

describe("job states", () => {
  it("follow the documented happy path", () => {
    expect(canTransition("pending", "queued")).toBe(true);
    expect(canTransition("queued", "processing")).toBe(true);
    expect(canTransition("processing", "completed")).toBe(true);
  });

  it("let a failed send be retried and a crashed job be redelivered", () => {
    expect(canTransition("pending", "queue_failed")).toBe(true);
    expect(canTransition("queue_failed", "queued")).toBe(true);
    expect(canTransition("processing", "processing")).toBe(true);
  });

  it("never leave completed, and never jump straight to completed", () => {
    for (const to of jobStatuses) expect(canTransition("completed", to)).toBe(false);
    expect(allowedFrom("completed")).toEqual(["processing"]);
  });

  it("allowedFrom is the inverse of the transition table", () => {
    for (const to of jobStatuses) for (const from of allowedFrom(to)) expect(canTransition(from, to)).toBe(true);
    expect(allowedFrom("processing").sort()).toEqual(["pending", "processing", "queue_failed", "queued"]);
  });

  it("marks completed and failed as terminal", () => {
    expect(terminalJobStatuses).toEqual(["completed", "failed"]);
  });
});
