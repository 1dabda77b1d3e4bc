/**
 * SQS through the form-encoded query protocol with XML replies — what older SDKs and CLIs send —
 * using plain fetch, so nothing of SDK v3 (which speaks JSON) is involved. Requests are SigV4-signed
 * here by hand as such a client would (servers route and authorise on the Authorization header).
 */
import { createHash, createHmac } from "node:crypto";
import { XMLParser } from "fast-xml-parser";
import { expect } from "vitest";
import type { ContractCase } from "./contract-case.ts";
import type { ContractContext } from "./contract-context.ts";

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

// Lists with one element must still parse as arrays.
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => ["Message", "Attribute", "MessageAttribute", "QueueUrl"].includes(name),
});

interface QueryReply {
  status: number;
  contentType: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed XML is checked field by field by the cases
  xml: any;
}

const sha256Hex = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** SigV4 (service `sqs`) for a form POST: signs content-type, host and x-amz-date over the body hash. */
function signedHeaders(ctx: ContractContext, url: URL, body: string): Record<string, string> {
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    host: url.host,
    "x-amz-date": amzDate,
  };
  const names = Object.keys(headers).sort();
  const canonical = ["POST", url.pathname || "/", "", ...names.map((n) => `${n}:${headers[n]}`), "", names.join(";"), sha256Hex(body)].join(
    "\n",
  );
  const scope = `${day}/${ctx.region}/sqs/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  let key = hmac(`AWS4${ctx.credentials.secretAccessKey}`, day);
  for (const part of [ctx.region, "sqs", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign, "utf8").digest("hex");
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${ctx.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`,
  };
}

async function query(ctx: ContractContext, target: string, params: Record<string, string>): Promise<QueryReply> {
  const url = new URL(target);
  const body = new URLSearchParams({ Version: "2012-11-05", ...params }).toString();
  const res = await fetch(url, { method: "POST", headers: signedHeaders(ctx, url, body), body });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", xml: parser.parse(await res.text()) };
}

async function createQueue(ctx: ContractContext, prefix: string): Promise<string> {
  const reply = await query(ctx, `${ctx.endpoint}/`, { Action: "CreateQueue", QueueName: ctx.uniqueName(prefix) });
  expect(reply.status).toBe(200);
  return reply.xml.CreateQueueResponse.CreateQueueResult.QueueUrl[0];
}

export function sqsQueryCases(contractCase: ContractCase): void {
  contractCase("sqs query: CreateQueue, GetQueueUrl and ListQueues answer in XML", async (ctx) => {
    const name = ctx.uniqueName("q-create");
    const created = await query(ctx, `${ctx.endpoint}/`, {
      Action: "CreateQueue",
      QueueName: name,
      "Attribute.1.Name": "VisibilityTimeout",
      "Attribute.1.Value": "5",
    });
    expect(created.status).toBe(200);
    expect(created.contentType).toMatch(/xml/);
    const url = created.xml.CreateQueueResponse.CreateQueueResult.QueueUrl[0];
    expect(url).toMatch(new RegExp(`/${name}$`));
    expect(created.xml.CreateQueueResponse.ResponseMetadata.RequestId).toBeTruthy();
    const byName = await query(ctx, `${ctx.endpoint}/`, { Action: "GetQueueUrl", QueueName: name });
    expect(byName.xml.GetQueueUrlResponse.GetQueueUrlResult.QueueUrl).toEqual([url]);
    const listed = await query(ctx, `${ctx.endpoint}/`, { Action: "ListQueues", QueueNamePrefix: name });
    expect(listed.xml.ListQueuesResponse.ListQueuesResult.QueueUrl).toEqual([url]);
  });

  contractCase("sqs query: SendMessage / ReceiveMessage / DeleteMessage round trip with MD5s and XML-escaped bodies", async (ctx) => {
    const url = await createQueue(ctx, "q-roundtrip");
    const body = `<book title="Moby & Dick"> 'rare' — 📚 </book>`;
    const sent = await query(ctx, url, {
      Action: "SendMessage",
      QueueUrl: url,
      MessageBody: body,
      "MessageAttribute.1.Name": "jobId",
      "MessageAttribute.1.Value.DataType": "String",
      "MessageAttribute.1.Value.StringValue": "job-7",
    });
    expect(sent.status).toBe(200);
    const result = sent.xml.SendMessageResponse.SendMessageResult;
    expect(result.MD5OfMessageBody).toBe(md5(body));
    expect(result.MessageId).toBeTruthy();
    expect(result.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);

    const received = await query(ctx, url, {
      Action: "ReceiveMessage",
      QueueUrl: url,
      WaitTimeSeconds: "2",
      "AttributeName.1": "All",
      "MessageAttributeName.1": "All",
    });
    const [message] = received.xml.ReceiveMessageResponse.ReceiveMessageResult.Message;
    expect(message.Body).toBe(body);
    expect(message.MD5OfBody).toBe(md5(body));
    expect(message.MessageId).toBe(result.MessageId);
    expect(message.MD5OfMessageAttributes).toBe(result.MD5OfMessageAttributes);
    const attrs = Object.fromEntries(message.Attribute.map((a: { Name: string; Value: string }) => [a.Name, a.Value]));
    expect(attrs.ApproximateReceiveCount).toBe("1");
    expect(Number(attrs.SentTimestamp)).toBeGreaterThan(0);
    expect(message.MessageAttribute).toEqual([{ Name: "jobId", Value: { StringValue: "job-7", DataType: "String" } }]);

    const deleted = await query(ctx, url, { Action: "DeleteMessage", QueueUrl: url, ReceiptHandle: message.ReceiptHandle });
    expect(deleted.status).toBe(200);
    expect(deleted.xml.DeleteMessageResponse).toBeDefined();
    const counts = await query(ctx, url, { Action: "GetQueueAttributes", QueueUrl: url, "AttributeName.1": "All" });
    const all = Object.fromEntries(
      counts.xml.GetQueueAttributesResponse.GetQueueAttributesResult.Attribute.map((a: { Name: string; Value: string }) => [
        a.Name,
        a.Value,
      ]),
    );
    expect(all.ApproximateNumberOfMessages).toBe("0");
    expect(all.ApproximateNumberOfMessagesNotVisible).toBe("0");
  });

  contractCase("sqs query: errors are an XML ErrorResponse with Type, Code and HTTP 400", async (ctx) => {
    const missing = await query(ctx, `${ctx.endpoint}/`, { Action: "GetQueueUrl", QueueName: ctx.uniqueName("q-missing") });
    expect(missing.status).toBe(400);
    expect(missing.contentType).toMatch(/xml/);
    expect(missing.xml.ErrorResponse.Error).toMatchObject({ Type: "Sender", Code: "AWS.SimpleQueueService.NonExistentQueue" });
    expect(missing.xml.ErrorResponse.Error.Message).toBeTruthy();
    const url = await createQueue(ctx, "q-errors");
    const badHandle = await query(ctx, url, { Action: "DeleteMessage", QueueUrl: url, ReceiptHandle: "not-a-receipt-handle" });
    expect(badHandle.status).toBe(400);
    expect(badHandle.xml.ErrorResponse.Error.Code).toBe("ReceiptHandleIsInvalid");
  });
}
