/** FIFO deduplication: a message whose deduplication id (per queue, or per group) was sent in the last five minutes is accepted, not enqueued. */
import type { SqsMessage, SqsQueue } from "./sqs-queue.ts";

const windowMs = 5 * 60_000;

/** The earlier message `msg` duplicates, or undefined after recording `msg` as the first of its id. */
export function duplicateOf(queue: SqsQueue, msg: SqsMessage, now = Date.now()): SqsMessage | undefined {
  if (!queue.fifo || msg.deduplicationId === undefined) return undefined;
  const key = queue.attributes.DeduplicationScope === "messageGroup" ? `${msg.groupId}\u0000${msg.deduplicationId}` : msg.deduplicationId;
  const seen = queue.sentDeduplicationIds;
  for (const [k, entry] of seen) if (now - entry.at >= windowMs) seen.delete(k);
  const earlier = seen.get(key);
  if (earlier) return earlier.msg;
  seen.set(key, { at: now, msg });
  return undefined;
}
