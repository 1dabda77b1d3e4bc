/**
 * What promote (promote.ts) does to <to> after a failure past its apply, and the stop it lifts:
 *
 * - <to> runs what it ran before (a lock timeout, a failed precondition): nothing to roll back;
 * - every function had a `live` version before: each alias moves back to it (no re-apply of old
 *   state), then <to> is smoke-tested again;
 * - a first-ever promotion (no previous version): every function gets reserved concurrency 0, so
 *   nothing runs the failed code (the API is throttled, queue messages wait in SQS). The next
 *   promotion lifts it right after its apply (liftStop), before its migration and smoke tests,
 *   which a stopped function would fail (reserved concurrency applies to every version).
 */
import { DeleteFunctionConcurrencyCommand, PutFunctionConcurrencyCommand, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { type FunctionState, type FunctionsSide, readDeployed } from "./function-verification.ts";
import type { StepLog } from "./step-log.ts";

/** Moves every function whose `live` alias moved back to the version it pointed at before. */
export async function rollBack(
  side: FunctionsSide,
  previous: Record<string, FunctionState>,
  now: Record<string, FunctionState>,
  log: (line: string) => void,
): Promise<void> {
  for (const fn of side.functions) {
    const before = previous[fn.name]?.liveVersion;
    const after = now[fn.name]?.liveVersion;
    if (!before || before === after) continue;
    log(`      ${fn.name}: live ${after} → ${before}`);
    await side.aws.lambda.send(new UpdateAliasCommand({ FunctionName: fn.name, Name: "live", FunctionVersion: before }));
  }
}

/** First-ever promotion failed: nothing to go back to, so nothing of the side may take traffic. */
export async function stopTraffic(side: FunctionsSide, log: (line: string) => void): Promise<void> {
  for (const fn of side.functions) {
    log(`      ${fn.name}: reserved concurrency 0`);
    await side.aws.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: fn.name, ReservedConcurrentExecutions: 0 }));
  }
}

/** Lifts the stop of a failed first promotion: the functions' reserved concurrency is removed. */
export async function liftStop(side: FunctionsSide, stopped: FunctionState[], log: (line: string) => void): Promise<void> {
  for (const fn of stopped) {
    await side.aws.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: fn.name }));
    log(`      ${fn.name}: reserved concurrency removed`);
  }
}

/**
 * After a failure past the apply: rolls <to> back, or stops its traffic on a first promotion, or
 * leaves it (it runs what it ran before). Resolves to the outcome line of the summary; never throws.
 */
export async function recoverAfterFailure({
  side,
  previous,
  steps,
  smokeTest,
  log,
}: {
  side: FunctionsSide;
  previous: Record<string, FunctionState>;
  steps: StepLog;
  /** Smoke-tests the side; rejects when it fails. */
  smokeTest: () => Promise<void>;
  log: (line: string) => void;
}): Promise<string> {
  const env = side.env;
  const now = await readDeployed(side).catch(() => undefined);
  const changed = !now || side.functions.some((f) => now[f.name]?.deployed?.digest !== previous[f.name]?.deployed?.digest);
  const restorable = side.functions.every((f) => previous[f.name]?.liveVersion);
  if (!changed) return `FAILED — ${env} runs what it ran before; nothing to roll back`;
  if (!restorable || !now) {
    const stopped = await steps
      .timed(`stop ${env}'s traffic (first promotion)`, () => stopTraffic(side, log))
      .then(
        () => true,
        (stopError: Error) => {
          log(`      could not stop ${env}'s traffic: ${stopError.message}`);
          return false;
        },
      );
    return stopped
      ? `FAILED on ${env}'s first promotion: no previous version to roll back to — every function of ${env} has reserved concurrency 0 (takes no traffic) until a promotion passes`
      : `FAILED on ${env}'s first promotion, and stopping its traffic FAILED too — it may run the failed images`;
  }
  log(`rolling back ${env}: the live aliases go back to the versions they pointed at before`);
  try {
    await steps.timed(`roll back ${env} (live aliases)`, () => rollBack(side, previous, now, log));
    const rolledBackOk = await steps.timed(
      `smoke test ${env} after the rollback`,
      () =>
        smokeTest().then(
          () => true,
          (smokeError: Error) => {
            log(`      ${smokeError.message}`);
            return false;
          },
        ),
      (ok) => ok,
    );
    return rolledBackOk
      ? `FAILED — ${env} rolled back to the previous versions (smoke test passed)`
      : `FAILED — ${env} rolled back to the previous versions, and its SMOKE TEST FAILS there too`;
  } catch (rollbackError) {
    return `FAILED — and the ROLLBACK of ${env} FAILED too: ${(rollbackError as Error).message}`;
  }
}
