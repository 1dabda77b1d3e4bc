/** The three batch operations' shared rules: 1–10 entries with distinct valid ids, and per-entry results. */
import type { BatchResultErrorEntry } from "@aws-sdk/client-sqs";
import { AwsServiceError } from "../errors.ts";
import { sqsError } from "./sqs-errors.ts";

const batchIdPattern = /^[A-Za-z0-9_-]{1,80}$/;

export interface BatchResult<R> {
  Successful: ({ Id: string } & R)[];
  Failed: BatchResultErrorEntry[];
}

export function checkBatch<E extends { Id?: string }>(entries: E[] | undefined): (E & { Id: string })[] {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw sqsError("EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.");
  }
  if (entries.length > 10) {
    throw sqsError("TooManyEntriesInBatchRequest", `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  }
  const ids = new Set<string>();
  for (const e of entries) {
    if (typeof e.Id !== "string" || !batchIdPattern.test(e.Id)) {
      throw sqsError(
        "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
      );
    }
    if (ids.has(e.Id)) throw sqsError("BatchEntryIdsNotDistinct", `Id ${e.Id} repeated.`);
    ids.add(e.Id);
  }
  return entries as (E & { Id: string })[];
}

/** Runs one entry at a time: an AWS error fails only that entry, as SQS reports it; any other error propagates. */
export function eachEntry<E extends { Id: string }, R extends object>(entries: E[], run: (entry: E) => R): BatchResult<R> {
  const Successful: ({ Id: string } & R)[] = [];
  const Failed: BatchResultErrorEntry[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      Failed.push({ Id: entry.Id, Code: error.code, Message: error.message, SenderFault: error.senderFault });
    }
  }
  return { Successful, Failed };
}
