/** Queue attributes: defaults, what may be set (validated as SQS does) and what `GetQueueAttributes` computes. */
import type { QueueAttributeName } from "@aws-sdk/client-sqs";
import { wireRecord } from "../wire-record.ts";
import { invalidParameter, sqsError } from "./sqs-errors.ts";
import type { SqsQueue } from "./sqs-queue.ts";

export type QueueAttributes = Partial<Record<QueueAttributeName, string>>;

export const defaultAttributes: Record<string, string> = {
  VisibilityTimeout: "30",
  MaximumMessageSize: "262144",
  MessageRetentionPeriod: "345600",
  DelaySeconds: "0",
  ReceiveMessageWaitTimeSeconds: "0",
};
const ranges: Record<string, [number, number]> = {
  VisibilityTimeout: [0, 43_200],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  DelaySeconds: [0, 900],
  ReceiveMessageWaitTimeSeconds: [0, 20],
};
const settable = new Set([
  ...Object.keys(defaultAttributes),
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "Policy",
  "SqsManagedSseEnabled",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
]);
/** FIFO-only attributes and the values each accepts (FifoQueue is set at creation only). */
const fifoValues: Record<string, string[]> = {
  ContentBasedDeduplication: ["true", "false"],
  DeduplicationScope: ["queue", "messageGroup"],
  FifoThroughputLimit: ["perQueue", "perMessageGroupId"],
};
export const fifoDefaults: Record<string, string> = {
  FifoQueue: "true",
  ContentBasedDeduplication: "false",
  DeduplicationScope: "queue",
  FifoThroughputLimit: "perQueue",
};
const readable = new Set([
  ...settable,
  ...Object.keys(fifoDefaults),
  "All",
  "QueueArn",
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
]);

const queueNamePattern = /^[A-Za-z0-9_-]{1,80}$/;

/** Whether CreateQueue makes a FIFO queue (`FifoQueue=true`, name ending `.fifo`), refusing names that fit neither kind. */
export function isFifoQueue(name: string, fifoAttribute: string | undefined): boolean {
  if (fifoAttribute !== undefined && fifoAttribute !== "true" && fifoAttribute !== "false") {
    throw sqsError("InvalidAttributeValue", "Invalid value for the parameter FifoQueue.");
  }
  const fifo = fifoAttribute === "true";
  if (fifo && (!name.endsWith(".fifo") || !queueNamePattern.test(name.slice(0, -5)) || name.length > 80)) {
    throw invalidParameter(
      "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
    );
  }
  if (!fifo && !queueNamePattern.test(name)) {
    throw invalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  }
  return fifo;
}

/**
 * Checked and normalised attributes of a queue that is (or is being created as) FIFO or not;
 * `queueType` tells a redrive target's type (undefined: no such queue). `FifoQueue` is the
 * caller's to check: it is only valid when creating.
 */
export function validateQueueAttributes(
  attributes: QueueAttributes,
  fifo: boolean,
  queueType: (arn: string) => "fifo" | "standard" | undefined,
): Record<string, string> {
  const out: Record<string, string> = wireRecord();
  for (const [name, raw] of Object.entries(attributes ?? {})) {
    const value = String(raw);
    if (name === "FifoQueue") continue;
    if (fifoValues[name]) {
      if (!fifo) throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
      if (!fifoValues[name].includes(value)) throw sqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
      out[name] = value;
      continue;
    }
    if (!settable.has(name)) throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
    const range = ranges[name];
    if (range) {
      const n = Number(value);
      if (value.trim() === "" || !Number.isInteger(n) || n < range[0] || n > range[1]) {
        throw sqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
      }
      out[name] = String(n);
      continue;
    }
    if (name === "RedrivePolicy" && value !== "") {
      out[name] = validateRedrivePolicy(value, fifo, queueType);
      continue;
    }
    out[name] = value;
  }
  return out;
}

function validateRedrivePolicy(value: string, fifo: boolean, queueType: (arn: string) => "fifo" | "standard" | undefined): string {
  let parsed: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidParameter("Value for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.");
  }
  const max = Number(parsed.maxReceiveCount);
  if (typeof parsed.deadLetterTargetArn !== "string" || !Number.isInteger(max) || max < 1 || max > 1000) {
    throw invalidParameter(
      "Value for parameter RedrivePolicy is invalid. Reason: Redrive policy requires deadLetterTargetArn and maxReceiveCount (1 to 1000).",
    );
  }
  const target = queueType(parsed.deadLetterTargetArn);
  if (!target) {
    throw sqsError(
      "AWS.SimpleQueueService.NonExistentQueue",
      `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
    );
  }
  if ((target === "fifo") !== fifo) {
    throw invalidParameter(
      `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.`,
    );
  }
  return JSON.stringify({ deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount: max });
}

/** The attributes `names` asks for (`All` for every one), stored and computed. */
export function readQueueAttributes(queue: SqsQueue, names: string[]): Record<string, string> {
  for (const n of names) if (!readable.has(n)) throw sqsError("InvalidAttributeName", `Unknown Attribute ${n}.`);
  const all = names.includes("All");
  const counts = queue.counts();
  const computed: Record<string, string> = {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.lastModified / 1000)),
    SqsManagedSseEnabled: "false",
    ...queue.attributes,
  };
  const out: Record<string, string> = wireRecord();
  for (const [k, v] of Object.entries(computed)) if (all || names.includes(k)) out[k] = v;
  return out;
}
