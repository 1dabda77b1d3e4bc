import type { Context, SQSEvent } from "aws-lambda";
import { firstReceive, record } from "./record-invocation.ts";

/** Kills its own process on a record's first delivery: `process.exit`, or an uncaught exception for body "uncaught". */
export const handler = async (event: SQSEvent, context: Context): Promise<void> => {
  record(event, context, "end", Date.now());
  if (!firstReceive(event)) return;
  if (event.Records[0].body === "uncaught") {
    setTimeout(() => {
      throw new Error("uncaught on purpose");
    }, 0);
    await new Promise(() => undefined);
  }
  process.exit(3);
};
