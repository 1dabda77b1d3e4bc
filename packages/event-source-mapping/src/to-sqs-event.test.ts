import { describe, expect, it } from "vitest";
import { toSqsEvent } from "./to-sqs-event.ts";

const source = { queueArn: "arn:aws:sqs:us-east-1:000000000000:q", region: "us-east-1", accountId: "000000000000" };

describe("toSqsEvent", () => {
  it("produces Lambda's record shape, including attribute values in Lambda's casing", () => {
    const event = toSqsEvent(
      [
        {
          MessageId: "id-1",
          ReceiptHandle: "rh-1",
          Body: '{"v":1}',
          MD5OfBody: "md5b",
          MD5OfMessageAttributes: "md5a",
          Attributes: {
            ApproximateReceiveCount: "2",
            SentTimestamp: "100",
            SenderId: "AIDA",
            ApproximateFirstReceiveTimestamp: "101",
            AWSTraceHeader: "Root=1",
          },
          MessageAttributes: {
            kind: { DataType: "String", StringValue: "image" },
            blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 255]) },
          },
        },
      ],
      source,
    );
    expect(event).toEqual({
      Records: [
        {
          messageId: "id-1",
          receiptHandle: "rh-1",
          body: '{"v":1}',
          attributes: {
            ApproximateReceiveCount: "2",
            SentTimestamp: "100",
            SenderId: "AIDA",
            ApproximateFirstReceiveTimestamp: "101",
            AWSTraceHeader: "Root=1",
          },
          messageAttributes: {
            kind: { stringValue: "image", stringListValues: [], binaryListValues: [], dataType: "String" },
            blob: { binaryValue: "AQL/", stringListValues: [], binaryListValues: [], dataType: "Binary" },
          },
          md5OfBody: "md5b",
          md5OfMessageAttributes: "md5a",
          eventSource: "aws:sqs",
          eventSourceARN: source.queueArn,
          awsRegion: "us-east-1",
        },
      ],
    });
    expect(Object.keys(event.Records[0])).toEqual([
      "messageId",
      "receiptHandle",
      "body",
      "attributes",
      "messageAttributes",
      "md5OfBody",
      "md5OfMessageAttributes",
      "eventSource",
      "eventSourceARN",
      "awsRegion",
    ]);
  });

  it("omits md5OfMessageAttributes when the message has no attributes", () => {
    const [record] = toSqsEvent(
      [{ MessageId: "a", ReceiptHandle: "r", Body: "x", MD5OfBody: "m", Attributes: { ApproximateReceiveCount: "1" } }],
      source,
    ).Records;
    expect(record.messageAttributes).toEqual({});
    expect("md5OfMessageAttributes" in record).toBe(false);
    expect(record.attributes.SenderId).toBe("000000000000");
  });
});
