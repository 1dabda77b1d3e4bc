import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { record } from "./record-invocation.ts";

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const start = Date.now();
  record(event, context, "end", start);
  return { batchItemFailures: [] };
};
