/**
 * JSON-protocol members of the wrong type are the client's error, as AWS answers them
 * (SerializationException, 400), never the emulator's 500. Found by the fuzz test
 * (`"AttributeNames": {}`) and the probes that followed it; each case answered 500 before.
 */
import { type Emulator, startEmulator } from "@bluemoxon/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "./support/raw-request.ts";

let emulator: Emulator;
let queueUrl: string;
const call = (target: string, version: "1.0" | "1.1", body: string) =>
  rawRequest(emulator.url, {
    method: "POST",
    path: "/",
    headers: { "content-type": `application/x-amz-json-${version}`, "x-amz-target": target },
    body,
  });

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  queueUrl = JSON.parse((await call("AmazonSQS.CreateQueue", "1.0", '{"QueueName":"jobs"}')).body).QueueUrl;
});
afterAll(() => emulator.close());

describe("wrongly typed JSON members", () => {
  it("a null member is an absent one (fuzz: PutSecretValue with ClientRequestToken null answered 500)", async () => {
    expect((await call("secretsmanager.CreateSecret", "1.1", '{"Name":"n","SecretString":"a"}')).status).toBe(200);
    const put = await call("secretsmanager.PutSecretValue", "1.1", '{"SecretId":"n","ClientRequestToken":null,"SecretString":"b"}');
    expect(put.status).toBe(200);
    const sqs = await call("AmazonSQS.SendMessage", "1.0", JSON.stringify({ QueueUrl: queueUrl, MessageBody: "m", DelaySeconds: null }));
    expect(sqs.status).toBe(200);
  });

  it.each([
    ["AmazonSQS.GetQueueAttributes", () => ({ QueueUrl: queueUrl, AttributeNames: {} }), "AttributeNames must be a list."],
    ["AmazonSQS.DeleteMessageBatch", () => ({ QueueUrl: queueUrl, Entries: [null] }), "Entries[0] must be a value."],
    ["AmazonSQS.SendMessage", () => ({ QueueUrl: queueUrl, MessageBody: { a: 1 } }), "MessageBody must be a string."],
  ])("SQS %s", async (target, input, message) => {
    const answer = await call(target, "1.0", JSON.stringify(input()));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ __type: "com.amazonaws.sqs#SerializationException", message });
    expect(answer.headers["x-amzn-query-error"]).toBe("SerializationException;Sender");
  });

  it.each([
    ["secretsmanager.ListSecrets", { Filters: "x" }, "Filters must be a list."],
    ["secretsmanager.ListSecrets", { Filters: [{ Key: "name", Values: "x" }] }, "Filters[0].Values must be a list."],
    ["secretsmanager.CreateSecret", { Name: "s", SecretString: ["x"] }, "SecretString must be a string."],
  ])("Secrets Manager %s %j", async (target, input, message) => {
    const answer = await call(target, "1.1", JSON.stringify(input));
    expect(answer.status).toBe(400);
    expect(answer.headers["x-amzn-errortype"]).toBe("SerializationException");
    expect(JSON.parse(answer.body).message).toBe(message);
  });
});
