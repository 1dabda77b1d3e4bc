/**
 * npm start's worker environment and the BG_THREADS contract of the background-removal engine:
 * unset → threads from AWS_LAMBDA_FUNCTION_MEMORY_SIZE (as on Lambda), `auto` → the machine's idle
 * cores. npm start uses the idle cores unless told otherwise; `--lambda-cpu` leaves it unset.
 */
import { describe, expect, it } from "vitest";
import { stackEnv } from "../../scripts/dev/dev.ts";

describe("npm start's stack environment", () => {
  it("sets BG_THREADS=auto when it is not set", () => {
    expect(stackEnv({ PATH: "/bin" }, false)).toEqual({ PATH: "/bin", BG_THREADS: "auto" });
    expect(stackEnv({ BG_THREADS: " " }, false).BG_THREADS).toBe("auto");
  });
  it("keeps a BG_THREADS the caller chose", () => {
    expect(stackEnv({ BG_THREADS: "3" }, false).BG_THREADS).toBe("3");
  });
  it("--lambda-cpu leaves BG_THREADS unset, even when the shell has it", () => {
    const env = stackEnv({ PATH: "/bin", BG_THREADS: "auto" }, true);
    expect(env).toEqual({ PATH: "/bin" });
    expect("BG_THREADS" in env).toBe(false);
  });
});
