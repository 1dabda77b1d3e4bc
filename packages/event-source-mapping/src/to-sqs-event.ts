/**
 * SDK `Message` → the record shape Lambda hands a function for an SQS event source mapping.
 * Lambda renames and re-cases fields (`MessageId` → `messageId`, attribute values become
 * `{ stringValue, binaryValue (base64), stringListValues, binaryListValues, dataType }`);
 * handlers written against real events must see exactly that.
 */
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSMessageAttribute, SQSRecord } from "aws-lambda";

export interface EventSource {
  queueArn: string;
  region: string;
  /** Used for `SenderId` when the backend does not report one. */
  accountId: string;
}

function toBase64(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
}

function toLambdaAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  // Lambda lists the value first, then the (always present) list fields and the type.
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: toBase64(value.BinaryValue) } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((v) => toBase64(v)!),
    dataType: value.DataType ?? "String",
  };
}

export function toSqsRecord(message: Message, source: EventSource): SQSRecord {
  const attrs = (message.Attributes ?? {}) as Record<string, string>;
  const { ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp, ...otherAttrs } = attrs;
  const messageAttributes: SQSRecord["messageAttributes"] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = toLambdaAttribute(value);
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: ApproximateReceiveCount ?? "1",
      SentTimestamp: SentTimestamp ?? String(Date.now()),
      SenderId: SenderId ?? source.accountId,
      ApproximateFirstReceiveTimestamp: ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...otherAttrs,
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
  if (message.MD5OfMessageAttributes) {
    // Keep Lambda's key order: md5OfMessageAttributes sits between md5OfBody and eventSource.
    const { eventSource, eventSourceARN, awsRegion, ...head } = record;
    return { ...head, md5OfMessageAttributes: message.MD5OfMessageAttributes, eventSource, eventSourceARN, awsRegion };
  }
  return record;
}

/**
 * @example
 * const event = toSqsEvent(messages, { queueArn, region: "us-east-1", accountId: "000000000000" });
 */
export function toSqsEvent(messages: Message[], source: EventSource): SQSEvent {
  return { Records: messages.map((m) => toSqsRecord(m, source)) };
}
