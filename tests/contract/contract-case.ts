import { it } from "vitest";
import type { ContractContext } from "./contract-context.ts";
import { knownDeviations } from "./known-deviations.ts";
import type { ContractResults } from "./results-table.ts";

export type ContractCase = (title: string, body: (ctx: ContractContext) => Promise<void>, timeoutMs?: number) => void;

/**
 * Builds the `contractCase` function the case files register through: one vitest test per
 * (backend, case), marked `it.fails` / skipped when the backend has a known deviation, and
 * skipped at run time when the backend could not start. Every outcome goes into `results`.
 */
export function contractCaseFor(backend: string, context: () => ContractContext | undefined, results: ContractResults): ContractCase {
  return (title, body, timeoutMs = 30_000) => {
    const deviation = knownDeviations[backend]?.[title];
    if (deviation?.mode === "skip") {
      it.skip(`${title} [skipped on ${backend}: ${deviation.reason}]`, () => {});
      results.record(backend, "skip");
      return;
    }
    const expectFailure = deviation?.mode === "fails";
    const register = expectFailure ? it.fails : it;
    const name = deviation ? `${title} [known ${backend} deviation: ${deviation.reason}]` : title;
    register(
      name,
      async ({ skip }) => {
        const ctx = context();
        if (!ctx) {
          results.record(backend, "skip");
          return skip();
        }
        try {
          await body(ctx);
        } catch (error) {
          results.record(backend, expectFailure ? "known-deviation" : "fail");
          throw error;
        }
        // An it.fails case that passes is a failure: the peer was fixed and the mark must go.
        results.record(backend, expectFailure ? "fail" : "pass");
      },
      timeoutMs,
    );
  };
}
