/** A message to enqueue, built from a `SendMessage` request or batch entry and validated as SQS does. */
import { createHash, randomUUID } from "node:crypto";
import type { MessageAttributeValue as SdkAttributeValue, SendMessageBatchRequestEntry } from "@aws-sdk/client-sqs";
import { wireRecord } from "../wire-record.ts";
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from "./message-attributes-md5.ts";
import { invalidParameter, missingParameter, sqsError } from "./sqs-errors.ts";
import type { SqsMessage, SqsQueue } from "./sqs-queue.ts";

/** What the wire carries: binary attribute values are base64 strings. */
export type WireAttributes = Record<string, Omit<SdkAttributeValue, "BinaryValue"> & { BinaryValue?: string }>;
export type MessageEntry = Omit<SendMessageBatchRequestEntry, "Id" | "MessageAttributes" | "MessageSystemAttributes"> & {
  MessageAttributes?: WireAttributes;
  MessageSystemAttributes?: WireAttributes;
};

// Characters SQS accepts in a message body (XML 1.0 characters).
const invalidBodyChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function newMessage(queue: SqsQueue, entry: MessageEntry, senderId: string): SqsMessage {
  const body = entry.MessageBody;
  if (typeof body !== "string") throw missingParameter("MessageBody");
  if (body.length === 0) throw invalidParameter("The request must contain the parameter MessageBody.");
  if (invalidBodyChar.test(body)) {
    throw sqsError(
      "InvalidMessageContents",
      "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    );
  }
  const attributes = validateMessageAttributes(entry.MessageAttributes ?? {});
  const size = Buffer.byteLength(body) + attributeBytes(attributes);
  const limit = queue.num("MaximumMessageSize");
  if (size > limit) {
    throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
  }
  const fifo = fifoFields(queue, entry, body);
  const delay = entry.DelaySeconds === undefined ? queue.num("DelaySeconds") : Number(entry.DelaySeconds);
  if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
    throw invalidParameter(
      `Value ${entry.DelaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
    );
  }
  const systemAttributes = entry.MessageSystemAttributes ? validateMessageAttributes(entry.MessageSystemAttributes) : undefined;
  const now = Date.now();
  return {
    id: randomUUID(),
    body,
    md5Body: md5Hex(body),
    attributes,
    md5Attributes: md5OfMessageAttributes(attributes),
    systemAttributes,
    md5SystemAttributes: systemAttributes ? md5OfMessageAttributes(systemAttributes) : undefined,
    senderId,
    sentAt: now,
    receiveCount: 0,
    visibleAt: now + delay * 1000,
    gen: 0,
    deleted: false,
    ...fifo,
  };
}

let lastSequence = 0n;

/** Group, deduplication id and sequence number: required (or derived from the body) on FIFO queues; on standard ones only a group may be given. */
function fifoFields(queue: SqsQueue, entry: MessageEntry, body: string): Partial<SqsMessage> {
  const group = entry.MessageGroupId;
  if (group !== undefined && !/^[\x21-\x7e]{1,128}$/.test(group))
    throw invalidParameter(`Value ${group} for parameter MessageGroupId is invalid.`);
  if (!queue.fifo) {
    if (entry.MessageDeduplicationId !== undefined) {
      throw invalidParameter(
        `Value ${entry.MessageDeduplicationId} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.`,
      );
    }
    return group === undefined ? {} : { groupId: group };
  }
  if (group === undefined || group === "") throw missingParameter("MessageGroupId");
  if (entry.DelaySeconds !== undefined && Number(entry.DelaySeconds) !== 0) {
    throw invalidParameter(
      `Value ${entry.DelaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
    );
  }
  let deduplicationId = entry.MessageDeduplicationId;
  if (deduplicationId === undefined && queue.attributes.ContentBasedDeduplication === "true") {
    deduplicationId = createHash("sha256").update(body).digest("hex");
  }
  if (deduplicationId === undefined) {
    throw invalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
  }
  if (!/^[\x21-\x7e]{1,128}$/.test(deduplicationId)) {
    throw invalidParameter(`Value ${deduplicationId} for parameter MessageDeduplicationId is invalid.`);
  }
  // Increasing, 20 digits (fixed width, so string order is numeric order), like SQS's.
  const candidate = BigInt(Date.now()) * 1_000_000n;
  lastSequence = candidate > lastSequence ? candidate : lastSequence + 1n;
  return { groupId: group, deduplicationId, sequenceNumber: lastSequence.toString().padStart(20, "0") };
}

/** Total bytes of a batch's bodies, which SQS limits like one message. */
export function batchBytes(entries: MessageEntry[]): number {
  let total = 0;
  for (const e of entries) total += Buffer.byteLength(String(e.MessageBody ?? ""));
  return total;
}

function validateMessageAttributes(raw: WireAttributes): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = wireRecord();
  const names = Object.keys(raw);
  if (names.length > 10) throw invalidParameter(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
  for (const name of names) {
    const a = raw[name] ?? {};
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      name.startsWith(".") ||
      name.endsWith(".") ||
      name.includes("..") ||
      /^(aws|amazon)\./i.test(name)
    ) {
      throw invalidParameter(`Message (user) attribute name '${name}' is invalid.`);
    }
    const type = a.DataType;
    if (typeof type !== "string" || !/^(String|Number|Binary)(\..+)?$/.test(type)) {
      throw invalidParameter(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const empty = () =>
      invalidParameter(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    if (type.startsWith("Binary")) {
      if (a.BinaryValue === undefined || a.BinaryValue === "") throw empty();
      out[name] = { DataType: type, BinaryValue: String(a.BinaryValue) };
    } else {
      if (a.StringValue === undefined || a.StringValue === "") throw empty();
      if (type.startsWith("Number") && !Number.isFinite(Number(a.StringValue))) {
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      out[name] = { DataType: type, StringValue: String(a.StringValue) };
    }
  }
  return out;
}

function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  let n = 0;
  for (const [k, v] of Object.entries(attributes)) {
    n +=
      Buffer.byteLength(k) +
      Buffer.byteLength(v.DataType) +
      (v.BinaryValue ? Buffer.from(v.BinaryValue, "base64").length : Buffer.byteLength(v.StringValue ?? ""));
  }
  return n;
}
