import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { record } from "./record-invocation.ts";

/** Reports every record whose body starts with "bad" as failed. */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  record(event, context, "end", Date.now());
  return { batchItemFailures: event.Records.filter((r) => r.body.startsWith("bad")).map((r) => ({ itemIdentifier: r.messageId })) };
};
