import { describe, expect, it } from "vitest";
import { AwsServiceError } from "../errors.ts";
import { sqsError } from "./sqs-errors.ts";
import { jsonError, queryInput, xmlError } from "./sqs-protocol.ts";

describe("queryInput", () => {
  it("turns indexed form parameters into the JSON protocol's input shape", () => {
    const params = new URLSearchParams({
      QueueUrl: "http://127.0.0.1:4566/000000000000/q",
      "SendMessageBatchRequestEntry.1.Id": "a",
      "SendMessageBatchRequestEntry.1.MessageBody": "hello",
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "kind",
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "String",
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": "img",
      "SendMessageBatchRequestEntry.2.Id": "b",
      "SendMessageBatchRequestEntry.2.MessageBody": "world",
      "AttributeName.1": "All",
      "Attribute.1.Name": "VisibilityTimeout",
      "Attribute.1.Value": "30",
    });
    expect(queryInput(params)).toEqual({
      QueueUrl: "http://127.0.0.1:4566/000000000000/q",
      Entries: [
        { Id: "a", MessageBody: "hello", MessageAttributes: { kind: { DataType: "String", StringValue: "img" } } },
        { Id: "b", MessageBody: "world" },
      ],
      AttributeNames: ["All"],
      Attributes: { VisibilityTimeout: "30" },
    });
  });
});

describe("SQS error shapes", () => {
  it("JSON errors carry __type and the query-compatible code header", () => {
    const reply = jsonError(sqsError("QueueDoesNotExist", "The specified queue does not exist."));
    expect(reply.status).toBe(400);
    expect(reply.headers?.["x-amzn-query-error"]).toBe("AWS.SimpleQueueService.NonExistentQueue;Sender");
    expect(JSON.parse(String(reply.body))).toEqual({
      __type: "com.amazonaws.sqs#QueueDoesNotExist",
      message: "The specified queue does not exist.",
    });
  });

  it("server-side errors are Receiver faults in both protocols", () => {
    const error = new AwsServiceError("InternalError", "boom", 500);
    expect(jsonError(error).headers?.["x-amzn-query-error"]).toBe("InternalError;Receiver");
    expect(String(xmlError(error, "r1").body)).toContain("<Type>Receiver</Type><Code>InternalError</Code><Message>boom</Message>");
  });
});
