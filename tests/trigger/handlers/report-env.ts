/**
 * Prints, per invocation, one line `report-env {"pid":…,"BG_THREADS":…}` on stdout, the settings
 * the handler process was given; for tests that run it as a stack's worker, where the trigger
 * builds the environment and TRIGGER_TEST_OUT cannot be passed in.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";

export const handler = async (_event: SQSEvent): Promise<SQSBatchResponse> => {
  const reported = { pid: process.pid, BG_THREADS: process.env.BG_THREADS ?? null, BG_MODEL: process.env.BG_MODEL ?? null };
  console.log(`report-env ${JSON.stringify(reported)}`);
  return { batchItemFailures: [] };
};
