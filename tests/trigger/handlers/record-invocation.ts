/**
 * Shared by the test handlers: appends one JSON line per invocation (event, context, pid,
 * start/end times) to `$TRIGGER_TEST_OUT/<function>.jsonl`, which the tests read back.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import type { Context, SQSEvent } from "aws-lambda";

export interface InvocationRecord {
  pid: number;
  start: number;
  end: number;
  event: SQSEvent;
  context: Omit<Context, "getRemainingTimeInMillis" | "done" | "fail" | "succeed"> & { remainingMs: number };
  env: Record<string, string | undefined>;
  phase: "start" | "end";
}

export function record(event: SQSEvent, context: Context, phase: "start" | "end", start: number): void {
  const { getRemainingTimeInMillis, done, fail, succeed, ...fields } = context;
  const line: InvocationRecord = {
    pid: process.pid,
    start,
    end: Date.now(),
    event,
    context: { ...fields, remainingMs: getRemainingTimeInMillis() },
    env: {
      AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME,
      AWS_REGION: process.env.AWS_REGION,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
      AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
      CUSTOM_SETTING: process.env.CUSTOM_SETTING,
      TRIGGER_TEST_PARENT_ONLY: process.env.TRIGGER_TEST_PARENT_ONLY,
    },
    phase,
  };
  appendFileSync(join(process.env.TRIGGER_TEST_OUT!, `${process.env.AWS_LAMBDA_FUNCTION_NAME}.jsonl`), `${JSON.stringify(line)}\n`);
}

export const firstReceive = (event: SQSEvent) => event.Records.some((r) => r.attributes.ApproximateReceiveCount === "1");
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
