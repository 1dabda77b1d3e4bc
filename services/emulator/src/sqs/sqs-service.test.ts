import { afterEach, describe, expect, it, vi } from "vitest";
import { AwsServiceError } from "../errors.ts";
import { SqsService } from "./sqs-service.ts";

const base = "http://127.0.0.1:4566";
const make = () => new SqsService({ baseUrl: base, region: "us-east-1", accountId: "000000000000" });
const receive = async (sqs: SqsService, QueueUrl: string, extra: Record<string, unknown> = {}) =>
  ((await sqs.ReceiveMessage({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"], ...extra })).Messages ?? []) as {
    Body: string;
    ReceiptHandle: string;
    Attributes: Record<string, string>;
  }[];

describe("SqsService", () => {
  afterEach(() => vi.useRealTimers());

  it("moves a message to the DLQ on the receive after maxReceiveCount", async () => {
    const sqs = make();
    const dlq = sqs.CreateQueue({ QueueName: "jobs-dlq" }).QueueUrl as string;
    const redrive = JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:jobs-dlq", maxReceiveCount: 2 });
    const q = sqs.CreateQueue({ QueueName: "jobs", Attributes: { RedrivePolicy: redrive, VisibilityTimeout: "0" } }).QueueUrl as string;
    sqs.SendMessage({ QueueUrl: q, MessageBody: "poison" });
    expect((await receive(sqs, q))[0].Attributes.ApproximateReceiveCount).toBe("1");
    expect((await receive(sqs, q))[0].Attributes.ApproximateReceiveCount).toBe("2");
    expect(await receive(sqs, q)).toEqual([]);
    const dead = await receive(sqs, dlq);
    expect(dead.map((m) => m.Body)).toEqual(["poison"]);
    expect(sqs.ListDeadLetterSourceQueues({ QueueUrl: dlq })).toEqual({ queueUrls: [q] });
  });

  it("hides received messages for the visibility timeout and shows them again after it", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "vis", Attributes: { VisibilityTimeout: "5" } }).QueueUrl as string;
    sqs.SendMessage({ QueueUrl: q, MessageBody: "m" });
    expect(await receive(sqs, q)).toHaveLength(1);
    expect(await receive(sqs, q)).toHaveLength(0);
    expect(sqs.GetQueueAttributes({ QueueUrl: q, AttributeNames: ["ApproximateNumberOfMessagesNotVisible"] }).Attributes).toEqual({
      ApproximateNumberOfMessagesNotVisible: "1",
    });
    vi.setSystemTime(1_005_001);
    const again = await receive(sqs, q);
    expect(again[0].Attributes.ApproximateReceiveCount).toBe("2");
    expect(again[0].Attributes.ApproximateFirstReceiveTimestamp).toBe("1000000");
  });

  it("wakes a long poll as soon as a message arrives", async () => {
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "lp" }).QueueUrl as string;
    const started = Date.now();
    const pending = receive(sqs, q, { WaitTimeSeconds: 5 });
    setTimeout(() => sqs.SendMessage({ QueueUrl: q, MessageBody: "late" }), 50);
    const got = await pending;
    expect(got.map((m) => m.Body)).toEqual(["late"]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("refuses conflicting attributes on an existing queue and accepts identical ones", () => {
    const sqs = make();
    sqs.CreateQueue({ QueueName: "same", Attributes: { VisibilityTimeout: "60" } });
    expect(sqs.CreateQueue({ QueueName: "same", Attributes: { VisibilityTimeout: "60" } }).QueueUrl).toBe(`${base}/000000000000/same`);
    expect(() => sqs.CreateQueue({ QueueName: "same", Attributes: { VisibilityTimeout: "61" } })).toThrow(
      expect.objectContaining({ code: "QueueAlreadyExists" }),
    );
  });

  it("reports per-entry failures in batches and rejects malformed receipt handles", async () => {
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "batch" }).QueueUrl as string;
    const sent = sqs.SendMessageBatch({
      QueueUrl: q,
      Entries: [
        { Id: "ok", MessageBody: "a" },
        { Id: "bad", MessageBody: "" },
      ],
    });
    expect((sent.Successful as unknown[]).length).toBe(1);
    expect(sent.Failed).toEqual([expect.objectContaining({ Id: "bad", Code: "InvalidParameterValue", SenderFault: true })]);
    const [msg] = await receive(sqs, q);
    const deleted = sqs.DeleteMessageBatch({
      QueueUrl: q,
      Entries: [
        { Id: "a", ReceiptHandle: msg.ReceiptHandle },
        { Id: "b", ReceiptHandle: "garbage" },
      ],
    });
    expect(deleted.Successful).toEqual([{ Id: "a" }]);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: "b", Code: "ReceiptHandleIsInvalid" })]);
    expect(() => sqs.DeleteMessage({ QueueUrl: q, ReceiptHandle: "garbage" })).toThrow(AwsServiceError);
  });

  it("keeps delayed messages out of receives until the delay passes", async () => {
    vi.useFakeTimers({ now: 2_000_000 });
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "delay" }).QueueUrl as string;
    sqs.SendMessage({ QueueUrl: q, MessageBody: "later", DelaySeconds: 3 });
    expect(await receive(sqs, q)).toHaveLength(0);
    expect(sqs.GetQueueAttributes({ QueueUrl: q, AttributeNames: ["All"] }).Attributes).toMatchObject({
      ApproximateNumberOfMessagesDelayed: "1",
    });
    vi.setSystemTime(2_003_000);
    expect(await receive(sqs, q)).toHaveLength(1);
  });

  it("restores in-flight messages as visible from a snapshot", async () => {
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "persist" }).QueueUrl as string;
    sqs.SendMessage({ QueueUrl: q, MessageBody: "one" });
    await receive(sqs, q);
    const restored = make();
    restored.store.restore(JSON.parse(JSON.stringify(sqs.store.snapshot())));
    const got = await receive(restored, q);
    expect(got.map((m) => m.Body)).toEqual(["one"]);
    expect(got[0].Attributes.ApproximateReceiveCount).toBe("2");
  });
});
