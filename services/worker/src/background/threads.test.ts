import { describe, expect, it } from "vitest";
import { z } from "zod";
import { bgThreadsSetting, defaultThreads, ThreadsConfigError } from "./threads.ts";

describe("defaultThreads", () => {
  it("BG_THREADS unset: one thread per vCPU Lambda's memory buys, or every core without it", () => {
    expect(defaultThreads({}, 8)).toBe(8);
    expect(defaultThreads({ BG_THREADS: "" }, 8)).toBe(8);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769" }, 8)).toBe(1);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769", BG_THREADS: "  " }, 8)).toBe(1);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024" }, 2)).toBe(1);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "3538" }, 2)).toBe(2);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "10240" }, 6)).toBe(6);
    // Lambda shows 2 cores from 128 MB up: never more threads than visible cores.
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "10240" }, 2)).toBe(2);
  });

  it("BG_THREADS=auto: every core, whatever Lambda's memory variable says (npm start sets it to 1769)", () => {
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769", BG_THREADS: "auto" }, 8)).toBe(8);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769", BG_THREADS: "AUTO" }, 2)).toBe(2);
    expect(defaultThreads({ BG_THREADS: "auto" }, 1)).toBe(1);
  });

  it("BG_THREADS=<n>: exactly n, even beyond the cores or Lambda's share", () => {
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769", BG_THREADS: "3" }, 2)).toBe(3);
    expect(defaultThreads({ BG_THREADS: " 1 " }, 8)).toBe(1);
  });

  it.each(["0", "-2", "1.5", "two", "auto,2", "0x2"])("refuses BG_THREADS=%s with an error naming the variable", (value) => {
    expect(() => defaultThreads({ BG_THREADS: value }, 2)).toThrow(ThreadsConfigError);
    expect(() => defaultThreads({ BG_THREADS: value }, 2)).toThrow(
      new RegExp(`^BG_THREADS must be "auto" or a whole number.*got "${value}"`),
    );
  });

  it("the same setting validates inside a config schema, naming the variable in the issue's path", () => {
    const schema = z.object({ BG_THREADS: bgThreadsSetting() });
    expect(schema.parse({ BG_THREADS: "auto" })).toEqual({ BG_THREADS: "auto" });
    expect(schema.parse({ BG_THREADS: "4" })).toEqual({ BG_THREADS: 4 });
    expect(schema.parse({})).toEqual({ BG_THREADS: undefined });
    const result = schema.safeParse({ BG_THREADS: "many" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["BG_THREADS"]);
  });
});
