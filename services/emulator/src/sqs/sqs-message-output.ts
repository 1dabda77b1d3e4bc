/** Messages as `SendMessage` and `ReceiveMessage` return them (attributes filtered as asked, MD5s recomputed for the subset). */

import { wireRecord } from "../wire-record.ts";
import { type MessageAttributeValue, md5OfMessageAttributes } from "./message-attributes-md5.ts";
import type { SqsMessage } from "./sqs-queue.ts";

const systemAttributeNames = [
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "AWSTraceHeader",
  "MessageGroupId",
  "MessageDeduplicationId",
  "SequenceNumber",
];

export interface SentMessage {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string;
  MD5OfMessageSystemAttributes?: string;
  SequenceNumber?: string;
}

export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle?: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, MessageAttributeValue>;
  MD5OfMessageAttributes?: string;
}

export function sentMessage(msg: SqsMessage): SentMessage {
  const out: SentMessage = { MessageId: msg.id, MD5OfMessageBody: msg.md5Body };
  if (msg.md5Attributes) out.MD5OfMessageAttributes = msg.md5Attributes;
  if (msg.md5SystemAttributes) out.MD5OfMessageSystemAttributes = msg.md5SystemAttributes;
  if (msg.sequenceNumber) out.SequenceNumber = msg.sequenceNumber;
  return out;
}

export function receivedMessage(msg: SqsMessage, systemNames: string[], attrFilter: string[]): ReceivedMessage {
  const out: ReceivedMessage = { MessageId: msg.id, ReceiptHandle: msg.receipt, MD5OfBody: msg.md5Body, Body: msg.body };
  if (systemNames.length) {
    const all = systemNames.includes("All");
    const values: Record<string, string> = {
      SenderId: msg.senderId,
      SentTimestamp: String(msg.sentAt),
      ApproximateReceiveCount: String(msg.receiveCount),
      ApproximateFirstReceiveTimestamp: String(msg.firstReceiveAt ?? msg.sentAt),
    };
    const trace = msg.systemAttributes?.AWSTraceHeader?.StringValue;
    if (trace) values.AWSTraceHeader = trace;
    if (msg.groupId !== undefined) values.MessageGroupId = msg.groupId;
    if (msg.deduplicationId !== undefined) values.MessageDeduplicationId = msg.deduplicationId;
    if (msg.sequenceNumber !== undefined) values.SequenceNumber = msg.sequenceNumber;
    const attrs: Record<string, string> = wireRecord();
    for (const name of systemAttributeNames) {
      if ((all || systemNames.includes(name)) && values[name] !== undefined) attrs[name] = values[name];
    }
    if (Object.keys(attrs).length) out.Attributes = attrs;
  }
  if (attrFilter.length && Object.keys(msg.attributes).length) {
    const all = attrFilter.includes("All") || attrFilter.includes(".*");
    const selected: Record<string, MessageAttributeValue> = wireRecord();
    for (const [name, value] of Object.entries(msg.attributes)) {
      const match = all || attrFilter.some((f) => f === name || (f.endsWith(".*") && name.startsWith(f.slice(0, -1))));
      if (match) selected[name] = value;
    }
    if (Object.keys(selected).length) {
      out.MessageAttributes = selected;
      out.MD5OfMessageAttributes = md5OfMessageAttributes(selected);
    }
  }
  return out;
}
