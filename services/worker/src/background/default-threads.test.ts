import { describe, expect, it } from "vitest";
import { defaultThreads } from "./background-remover.ts";

describe("defaultThreads", () => {
  it("uses every core outside Lambda", () => {
    expect(defaultThreads({}, 2)).toBe(2);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "" }, 8)).toBe(8);
  });

  it("uses one thread per vCPU Lambda allots for the function's memory", () => {
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024" }, 2)).toBe(1);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769" }, 2)).toBe(1);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "3538" }, 2)).toBe(2);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "10240" }, 6)).toBe(6);
    expect(defaultThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "10240" }, 2)).toBe(2);
  });
});
