import type { Context, SQSEvent } from "aws-lambda";
import { firstReceive, record } from "./record-invocation.ts";

/** Throws on a record's first delivery, succeeds on the retry. */
export const handler = async (event: SQSEvent, context: Context): Promise<void> => {
  record(event, context, "end", Date.now());
  if (firstReceive(event)) throw new Error("handler failed on purpose");
};
