import type { Context, SQSEvent } from "aws-lambda";
import { record, sleep } from "./record-invocation.ts";

/** Takes 700 ms per batch, so overlapping invocations show the concurrency. */
export const handler = async (event: SQSEvent, context: Context): Promise<void> => {
  const start = Date.now();
  await sleep(700);
  record(event, context, "end", start);
};
