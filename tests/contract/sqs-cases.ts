/**
 * SQS through SDK v3 (JSON protocol): what the pipeline's API, worker and provisioning rely on.
 * Empty-queue checks use short polls (an empty answer is always AWS-consistent); "must arrive"
 * checks use a 1–2 s long poll, which returns at once when a message is there.
 */
import { createHash } from "node:crypto";
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type Message,
  type MessageAttributeValue,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from "@aws-sdk/client-sqs";
import { expect } from "vitest";
import { awsError, sleep } from "./aws-error.ts";
import type { ContractCase } from "./contract-case.ts";
import type { ContractContext } from "./contract-context.ts";
import { messageAttributesMd5 } from "./message-attributes-md5.ts";

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

async function createQueue(ctx: ContractContext, prefix: string, Attributes?: Record<string, string>): Promise<string> {
  const out = await ctx.sqs.send(new CreateQueueCommand({ QueueName: ctx.uniqueName(prefix), Attributes }));
  return out.QueueUrl!;
}

async function queueAttributes(ctx: ContractContext, QueueUrl: string): Promise<Record<string, string>> {
  const out = await ctx.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
  return out.Attributes ?? {};
}

async function receive(ctx: ContractContext, input: ReceiveMessageCommandInput): Promise<Message[]> {
  const out = await ctx.sqs.send(new ReceiveMessageCommand(input));
  return out.Messages ?? [];
}

/** Receives until `count` messages arrived or `attempts` long polls came back short (AWS may split a batch). */
async function receiveAll(ctx: ContractContext, QueueUrl: string, count: number, attempts = 5): Promise<Message[]> {
  const got: Message[] = [];
  for (let i = 0; i < attempts && got.length < count; i++) {
    got.push(...(await receive(ctx, { QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30 })));
  }
  return got;
}

export function sqsCases(contractCase: ContractCase): void {
  contractCase("sqs: CreateQueue, GetQueueUrl and ListQueues by prefix agree on the URL", async (ctx) => {
    const prefix = ctx.uniqueName("list");
    const a = await ctx.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-a` }));
    const b = await ctx.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-b` }));
    await createQueue(ctx, "other");
    expect(a.QueueUrl).toMatch(new RegExp(`/${prefix}-a$`));
    const byName = await ctx.sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-a` }));
    expect(byName.QueueUrl).toBe(a.QueueUrl);
    const listed = await ctx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    expect([...(listed.QueueUrls ?? [])].sort()).toEqual([a.QueueUrl, b.QueueUrl].sort());
  });

  contractCase("sqs: ListQueues pages with MaxResults and NextToken", async (ctx) => {
    const prefix = ctx.uniqueName("page");
    const urls: string[] = [];
    for (const suffix of ["a", "b", "c"]) {
      urls.push((await ctx.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${suffix}` }))).QueueUrl!);
    }
    const first = await ctx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }));
    expect(first.QueueUrls).toHaveLength(2);
    expect(first.NextToken).toBeTruthy();
    const second = await ctx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2, NextToken: first.NextToken }));
    expect(second.NextToken).toBeUndefined();
    expect([...(first.QueueUrls ?? []), ...(second.QueueUrls ?? [])].sort()).toEqual(urls.sort());
  });

  contractCase("sqs: CreateQueue is idempotent with equal attributes; conflicting attributes are QueueAlreadyExists", async (ctx) => {
    const QueueName = ctx.uniqueName("idem");
    const first = await ctx.sqs.send(new CreateQueueCommand({ QueueName, Attributes: { VisibilityTimeout: "5" } }));
    const again = await ctx.sqs.send(new CreateQueueCommand({ QueueName, Attributes: { VisibilityTimeout: "5" } }));
    expect(again.QueueUrl).toBe(first.QueueUrl);
    const err = await awsError(ctx.sqs.send(new CreateQueueCommand({ QueueName, Attributes: { VisibilityTimeout: "6" } })));
    expect(err.name).toBe("QueueNameExists");
    expect(err.Code).toBe("QueueAlreadyExists");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  contractCase("sqs: a missing queue is QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue) for every operation", async (ctx) => {
    const QueueName = ctx.uniqueName("missing");
    const byName = await awsError(ctx.sqs.send(new GetQueueUrlCommand({ QueueName })));
    expect(byName.name).toBe("QueueDoesNotExist");
    expect(byName.Code).toBe("AWS.SimpleQueueService.NonExistentQueue");
    expect(byName.$metadata?.httpStatusCode).toBe(400);
    const existing = await createQueue(ctx, "sibling");
    const missingUrl = existing.replace(/[^/]+$/, QueueName);
    const send = await awsError(ctx.sqs.send(new SendMessageCommand({ QueueUrl: missingUrl, MessageBody: "x" })));
    expect(send.name).toBe("QueueDoesNotExist");
    const recv = await awsError(ctx.sqs.send(new ReceiveMessageCommand({ QueueUrl: missingUrl })));
    expect(recv.name).toBe("QueueDoesNotExist");
  });

  contractCase("sqs: DeleteQueue removes the queue", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "del");
    await ctx.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    const err = await awsError(ctx.sqs.send(new GetQueueUrlCommand({ QueueName: QueueUrl.split("/").at(-1)! })));
    expect(err.name).toBe("QueueDoesNotExist");
  });

  contractCase("sqs: SendMessage returns the body and attribute MD5s; receive returns them, filtered by attribute name", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "md5");
    const MessageBody = 'Ünïcödé body — 📚 {"v":1}';
    const MessageAttributes: Record<string, MessageAttributeValue> = {
      jobId: { DataType: "String", StringValue: "job-42" },
      attempt: { DataType: "Number", StringValue: "3" },
      blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 250, 255]) },
    };
    const before = Date.now();
    const sent = await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody, MessageAttributes }));
    expect(sent.MessageId).toMatch(/\S/);
    expect(sent.MD5OfMessageBody).toBe(md5(MessageBody));
    expect(sent.MD5OfMessageAttributes).toBe(messageAttributesMd5(MessageAttributes));

    const [msg] = await receive(ctx, {
      QueueUrl,
      WaitTimeSeconds: 2,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["jobId", "blob"],
    });
    expect(msg.MessageId).toBe(sent.MessageId);
    expect(msg.Body).toBe(MessageBody);
    expect(msg.MD5OfBody).toBe(md5(MessageBody));
    expect(Object.keys(msg.MessageAttributes ?? {}).sort()).toEqual(["blob", "jobId"]);
    expect(msg.MessageAttributes?.jobId).toMatchObject({ DataType: "String", StringValue: "job-42" });
    expect(Buffer.from(msg.MessageAttributes?.blob.BinaryValue ?? [])).toEqual(Buffer.from([0, 1, 2, 250, 255]));
    // AWS hashes the attributes it returns, not all that were sent.
    expect(msg.MD5OfMessageAttributes).toBe(messageAttributesMd5({ jobId: MessageAttributes.jobId, blob: MessageAttributes.blob }));
    const sys = msg.Attributes ?? {};
    expect(sys.ApproximateReceiveCount).toBe("1");
    expect(Number(sys.SentTimestamp)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Number(sys.SentTimestamp)).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(Number(sys.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(sys.SentTimestamp));
  });

  contractCase("sqs: MessageAttributeNames All returns every attribute; none requested returns none", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "attrs");
    const MessageAttributes: Record<string, MessageAttributeValue> = {
      a: { DataType: "String", StringValue: "1" },
      b: { DataType: "Number", StringValue: "2" },
    };
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "one", MessageAttributes }));
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "two", MessageAttributes }));
    const [all] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, MessageAttributeNames: ["All"], VisibilityTimeout: 30 });
    expect(Object.keys(all.MessageAttributes ?? {}).sort()).toEqual(["a", "b"]);
    expect(all.MD5OfMessageAttributes).toBe(messageAttributesMd5(MessageAttributes));
    const [none] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 30 });
    expect(none.MessageAttributes).toBeUndefined();
    expect(none.MD5OfMessageAttributes).toBeUndefined();
  });

  contractCase("sqs: a long poll (WaitTimeSeconds=5) returns within ~1 s of a send", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "longpoll");
    const started = Date.now();
    const polling = receive(ctx, { QueueUrl, WaitTimeSeconds: 5 });
    await sleep(500);
    const sentAt = Date.now();
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "wake up" }));
    const messages = await polling;
    const returnedAt = Date.now();
    expect(messages.map((m) => m.Body)).toEqual(["wake up"]);
    // AWS answers within milliseconds of the send; the margin is for a loaded 2-core CI box, still far below 5 s.
    expect(returnedAt - sentAt).toBeLessThan(2_000);
    expect(returnedAt - started).toBeLessThan(3_500);
  });

  contractCase("sqs: the queue's ReceiveMessageWaitTimeSeconds makes a receive without WaitTimeSeconds a long poll", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "qlongpoll", { ReceiveMessageWaitTimeSeconds: "5" });
    const polling = receive(ctx, { QueueUrl });
    await sleep(400);
    const sentAt = Date.now();
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "queued later" }));
    const messages = await polling;
    expect(messages.map((m) => m.Body)).toEqual(["queued later"]);
    expect(Date.now() - sentAt).toBeLessThan(2_000);
  });

  contractCase("sqs: MessageSystemAttributeNames returns only the system attributes asked for", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "sysattrs");
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "m" }));
    const [msg] = await receive(ctx, {
      QueueUrl,
      WaitTimeSeconds: 2,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
    });
    expect(Object.keys(msg.Attributes ?? {}).sort()).toEqual(["ApproximateReceiveCount", "SentTimestamp"]);
  });

  contractCase("sqs: an empty long poll waits for WaitTimeSeconds and returns no messages", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "emptypoll");
    const started = Date.now();
    const messages = await receive(ctx, { QueueUrl, WaitTimeSeconds: 1 });
    const elapsed = Date.now() - started;
    expect(messages).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(4_000);
  });

  contractCase(
    "sqs: a received message is invisible for the visibility timeout, then redelivered with a new receipt handle",
    async (ctx) => {
      const QueueUrl = await createQueue(ctx, "vis");
      await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hide me" }));
      const [first] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 1, MessageSystemAttributeNames: ["All"] });
      expect(first.Attributes?.ApproximateReceiveCount).toBe("1");
      expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 0 })).toEqual([]);
      await sleep(1_300);
      const [second] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, MessageSystemAttributeNames: ["All"] });
      expect(second.MessageId).toBe(first.MessageId);
      expect(second.Attributes?.ApproximateReceiveCount).toBe("2");
      expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
      await ctx.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second.ReceiptHandle }));
      expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 0 })).toEqual([]);
    },
  );

  contractCase("sqs: the queue's VisibilityTimeout applies when the receive does not set one", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "qvis", { VisibilityTimeout: "1" });
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "m" }));
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 2 })).toHaveLength(1);
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 0 })).toEqual([]);
    await sleep(1_300);
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 2 })).toHaveLength(1);
  });

  contractCase("sqs: ChangeMessageVisibility to 0 makes a message visible again at once", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "cmv");
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "m" }));
    const [msg] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 60 });
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 0 })).toEqual([]);
    await ctx.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: 0 }));
    const [again] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 60 });
    expect(again?.MessageId).toBe(msg.MessageId);
  });

  contractCase("sqs: ChangeMessageVisibilityBatch reports a bad receipt handle per entry", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "cmvb");
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "m" }));
    const [msg] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 60 });
    const out = await ctx.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl,
        Entries: [
          { Id: "good", ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: "bad", ReceiptHandle: "not-a-receipt-handle", VisibilityTimeout: 0 },
        ],
      }),
    );
    expect((out.Successful ?? []).map((s) => s.Id)).toEqual(["good"]);
    expect(out.Failed).toEqual([expect.objectContaining({ Id: "bad", Code: "ReceiptHandleIsInvalid", SenderFault: true })]);
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 2 })).toHaveLength(1);
  });

  contractCase("sqs: DelaySeconds on the message hides it and counts it as delayed", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "delay");
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "later", DelaySeconds: 1 }));
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 0 })).toEqual([]);
    const attrs = await queueAttributes(ctx, QueueUrl);
    expect(attrs.ApproximateNumberOfMessagesDelayed).toBe("1");
    expect(attrs.ApproximateNumberOfMessages).toBe("0");
    await sleep(1_200);
    const [msg] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2 });
    expect(msg?.Body).toBe("later");
  });

  contractCase("sqs: the queue's DelaySeconds delays every message", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "qdelay", { DelaySeconds: "1" });
    const sentAt = Date.now();
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "later" }));
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 0 })).toEqual([]);
    const [msg] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 3 });
    expect(msg?.Body).toBe("later");
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(900);
  });

  contractCase("sqs: a message moves to the DLQ on the receive after maxReceiveCount", async (ctx) => {
    const dlqUrl = await createQueue(ctx, "redrive-dlq");
    const { QueueArn: dlqArn } = await queueAttributes(ctx, dlqUrl);
    const RedrivePolicy = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 });
    const QueueUrl = await createQueue(ctx, "redrive-src", { RedrivePolicy });
    const sent = await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "poison" }));
    for (const count of ["1", "2"]) {
      const [msg] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 0, MessageSystemAttributeNames: ["All"] });
      expect(msg?.Attributes?.ApproximateReceiveCount).toBe(count);
    }
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 1 })).toEqual([]);
    const [dead] = await receive(ctx, { QueueUrl: dlqUrl, WaitTimeSeconds: 2 });
    expect(dead?.Body).toBe("poison");
    expect(dead?.MessageId).toBe(sent.MessageId);
  });

  contractCase("sqs: RedrivePolicy reads back and ListDeadLetterSourceQueues finds the source", async (ctx) => {
    const dlqUrl = await createQueue(ctx, "rp-dlq");
    const { QueueArn: dlqArn } = await queueAttributes(ctx, dlqUrl);
    const QueueUrl = await createQueue(ctx, "rp-src", {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
    });
    const policy = JSON.parse((await queueAttributes(ctx, QueueUrl)).RedrivePolicy);
    expect(policy.deadLetterTargetArn).toBe(dlqArn);
    expect(Number(policy.maxReceiveCount)).toBe(5);
    const sources = await ctx.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }));
    expect(sources.queueUrls).toEqual([QueueUrl]);
  });

  contractCase("sqs: GetQueueAttributes returns the configured attributes, the ARN and the timestamps", async (ctx) => {
    const before = Math.floor(Date.now() / 1000);
    const QueueUrl = await createQueue(ctx, "qattr", {
      VisibilityTimeout: "7",
      MessageRetentionPeriod: "3600",
      ReceiveMessageWaitTimeSeconds: "2",
      DelaySeconds: "0",
    });
    const name = QueueUrl.split("/").at(-1);
    const attrs = await queueAttributes(ctx, QueueUrl);
    expect(attrs).toMatchObject({
      VisibilityTimeout: "7",
      MessageRetentionPeriod: "3600",
      ReceiveMessageWaitTimeSeconds: "2",
      DelaySeconds: "0",
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
      ApproximateNumberOfMessagesDelayed: "0",
    });
    expect(attrs.QueueArn).toMatch(new RegExp(`^arn:aws:sqs:us-east-1:\\d{12}:${name}$`));
    expect(Number(attrs.CreatedTimestamp)).toBeGreaterThanOrEqual(before - 5);
    expect(Number(attrs.CreatedTimestamp)).toBeLessThanOrEqual(before + 60);
    await ctx.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: "9" } }));
    const picked = await ctx.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["VisibilityTimeout"] }));
    expect(picked.Attributes).toEqual({ VisibilityTimeout: "9" });
  });

  contractCase("sqs: ApproximateNumberOfMessages and …NotVisible follow sends and receives; PurgeQueue empties", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "counts");
    for (const body of ["a", "b", "c"]) await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    expect((await queueAttributes(ctx, QueueUrl)).ApproximateNumberOfMessages).toBe("3");
    await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 60, MaxNumberOfMessages: 1 });
    const attrs = await queueAttributes(ctx, QueueUrl);
    expect(attrs.ApproximateNumberOfMessages).toBe("2");
    expect(attrs.ApproximateNumberOfMessagesNotVisible).toBe("1");
    await ctx.sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect(await receive(ctx, { QueueUrl, WaitTimeSeconds: 0 })).toEqual([]);
    const purged = await queueAttributes(ctx, QueueUrl);
    expect(purged.ApproximateNumberOfMessages).toBe("0");
    expect(purged.ApproximateNumberOfMessagesNotVisible).toBe("0");
  });

  contractCase("sqs: SendMessageBatch and DeleteMessageBatch report per-entry success and failure", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "batch");
    const sent = await ctx.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ["x", "y", "z"].map((b) => ({
          Id: `id-${b}`,
          MessageBody: `body-${b}`,
          MessageAttributes: { letter: { DataType: "String", StringValue: b } },
        })),
      }),
    );
    expect((sent.Successful ?? []).map((s) => s.Id).sort()).toEqual(["id-x", "id-y", "id-z"]);
    for (const entry of sent.Successful ?? []) {
      const letter = entry.Id!.slice(3);
      expect(entry.MD5OfMessageBody).toBe(md5(`body-${letter}`));
      expect(entry.MD5OfMessageAttributes).toBe(messageAttributesMd5({ letter: { DataType: "String", StringValue: letter } }));
    }
    expect(sent.Failed ?? []).toEqual([]);
    const got = await receiveAll(ctx, QueueUrl, 3);
    expect(got.map((m) => m.Body).sort()).toEqual(["body-x", "body-y", "body-z"]);
    const deleted = await ctx.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          ...got.map((m, i) => ({ Id: `ok-${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: "bad", ReceiptHandle: "not-a-receipt-handle" },
        ],
      }),
    );
    expect((deleted.Successful ?? []).map((s) => s.Id).sort()).toEqual(["ok-0", "ok-1", "ok-2"]);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: "bad", Code: "ReceiptHandleIsInvalid", SenderFault: true })]);
    expect((await queueAttributes(ctx, QueueUrl)).ApproximateNumberOfMessagesNotVisible).toBe("0");
  });

  contractCase("sqs: malformed batches are rejected whole (distinct ids, at most 10, not empty)", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "badbatch");
    const dup = await awsError(
      ctx.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: "same", MessageBody: "1" },
            { Id: "same", MessageBody: "2" },
          ],
        }),
      ),
    );
    expect(dup.name).toBe("BatchEntryIdsNotDistinct");
    const tooMany = await awsError(
      ctx.sqs.send(
        new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: "x" })) }),
      ),
    );
    expect(tooMany.name).toBe("TooManyEntriesInBatchRequest");
    const empty = await awsError(ctx.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [] })));
    expect(empty.name).toBe("EmptyBatchRequest");
    expect((await queueAttributes(ctx, QueueUrl)).ApproximateNumberOfMessages).toBe("0");
  });

  contractCase("sqs: DeleteMessage with a malformed receipt handle is ReceiptHandleIsInvalid", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "badhandle");
    const err = await awsError(ctx.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: "not-a-receipt-handle" })));
    expect(err.name).toBe("ReceiptHandleIsInvalid");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  contractCase("sqs: ReceiveMessage with MaxNumberOfMessages 11 is InvalidParameterValue", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "invalid-max");
    const err = await awsError(ctx.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })));
    expect(err.Code).toBe("InvalidParameterValue");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  contractCase("sqs: SendMessage with DelaySeconds 901 is InvalidParameterValue", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "invalid-delay");
    const err = await awsError(ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", DelaySeconds: 901 })));
    expect(err.Code).toBe("InvalidParameterValue");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  contractCase("sqs: ChangeMessageVisibility beyond 12 hours is InvalidParameterValue", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "invalid-cmv");
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "m" }));
    const [msg] = await receive(ctx, { QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 60 });
    const err = await awsError(
      ctx.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: 43_201 })),
    );
    expect(err.Code).toBe("InvalidParameterValue");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  contractCase("sqs: SetQueueAttributes with VisibilityTimeout 43201 is InvalidAttributeValue", async (ctx) => {
    const QueueUrl = await createQueue(ctx, "invalid-vis");
    const err = await awsError(ctx.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: "43201" } })));
    expect(err.name).toBe("InvalidAttributeValue");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  contractCase("sqs: tags set at creation, added, listed and removed", async (ctx) => {
    const QueueName = ctx.uniqueName("tags");
    const { QueueUrl } = await ctx.sqs.send(new CreateQueueCommand({ QueueName, tags: { team: "images" } }));
    expect((await ctx.sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ team: "images" });
    await ctx.sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: "test" } }));
    expect((await ctx.sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ team: "images", env: "test" });
    await ctx.sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ["team"] }));
    expect((await ctx.sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ env: "test" });
  });
}
