/** What a receipt handle refers to, checked as SQS checks it, and visibility changes through one. */
import { invalidParameter, missingParameter, sqsError } from "./sqs-errors.ts";
import { parseReceiptHandle, type SqsMessage, type SqsQueue } from "./sqs-queue.ts";

/** The message `handle` was issued for, or undefined when it has been deleted since (which SQS accepts silently). */
export function messageForHandle(queue: SqsQueue, handle: unknown): SqsMessage | undefined {
  if (typeof handle !== "string" || handle === "") throw missingParameter("ReceiptHandle");
  const parsed = parseReceiptHandle(handle);
  if (!parsed) throw sqsError("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid receipt handle.`);
  if (parsed.queue !== queue.name)
    throw sqsError("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid for this queue.`);
  return queue.messages.get(parsed.id);
}

export function changeVisibility(queue: SqsQueue, handle: unknown, timeout: unknown): void {
  const seconds = Number(timeout);
  if (timeout === undefined) throw missingParameter("VisibilityTimeout");
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) {
    throw invalidParameter(`Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
  }
  const msg = messageForHandle(queue, handle);
  if (!msg || msg.receipt !== handle) {
    throw invalidParameter(
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    );
  }
  if (msg.visibleAt <= Date.now()) throw sqsError("MessageNotInflight", "The message referred to isn't in flight.");
  queue.setVisibility(msg, seconds);
}
