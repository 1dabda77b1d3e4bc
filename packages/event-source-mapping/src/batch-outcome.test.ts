import { describe, expect, it } from "vitest";
import { batchOutcome } from "./batch-outcome.ts";

const ids = ["m1", "m2", "m3"];

describe("batchOutcome (Lambda ReportBatchItemFailures rules)", () => {
  it("treats no answer, an empty object and an empty or null list as success", () => {
    for (const response of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(batchOutcome(response, ids)).toEqual({ kind: "success", keep: [] });
    }
  });

  it("keeps exactly the listed records", () => {
    expect(batchOutcome({ batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m2" }] }, ids)).toEqual({
      kind: "partial",
      keep: ["m2"],
    });
  });

  it("keeps the whole batch for unknown, empty or missing identifiers and for wrong shapes", () => {
    const malformed = [
      { batchItemFailures: [{ itemIdentifier: "nope" }] },
      { batchItemFailures: [{ itemIdentifier: "" }] },
      { batchItemFailures: [{ itemIdentifer: "m1" }] },
      { batchItemFailures: [null] },
      { batchItemFailures: "m1" },
      "ok",
      42,
      [{ itemIdentifier: "m1" }],
    ];
    for (const response of malformed) {
      const outcome = batchOutcome(response, ids);
      expect(outcome.kind).toBe("malformed");
      expect(outcome.keep).toEqual(ids);
    }
  });
});
