import { afterEach, describe, expect, it, vi } from "vitest";
import { SqsService } from "./sqs-service.ts";

const make = () => new SqsService({ baseUrl: "http://127.0.0.1:4566", region: "us-east-1", accountId: "000000000000" });
const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
const bodies = async (sqs: SqsService, QueueUrl: string, extra: Record<string, unknown> = {}) =>
  ((await sqs.ReceiveMessage({ QueueUrl, MaxNumberOfMessages: 10, ...extra })).Messages ?? []).map((m) => m.Body);

describe("FIFO queues", () => {
  afterEach(() => vi.useRealTimers());

  it("release a held group when its message's visibility times out, and redeliver in order", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "jobs.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }).QueueUrl;
    for (const body of ["1", "2", "3"]) sqs.SendMessage({ QueueUrl: q, MessageBody: body, MessageGroupId: "g" });
    expect(await bodies(sqs, q, { MaxNumberOfMessages: 1, VisibilityTimeout: 5 })).toEqual(["1"]);
    expect(await bodies(sqs, q)).toEqual([]);
    vi.setSystemTime(1_005_001);
    expect(await bodies(sqs, q, { VisibilityTimeout: 5 })).toEqual(["1", "2", "3"]);
  });

  it("wake a long poll when the holding message is deleted", async () => {
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "wake.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }).QueueUrl;
    sqs.SendMessage({ QueueUrl: q, MessageBody: "a", MessageGroupId: "g" });
    sqs.SendMessage({ QueueUrl: q, MessageBody: "b", MessageGroupId: "g" });
    const [held] = (await sqs.ReceiveMessage({ QueueUrl: q, MaxNumberOfMessages: 1 })).Messages ?? [];
    const poll = sqs.ReceiveMessage({ QueueUrl: q, WaitTimeSeconds: 20 });
    const started = Date.now();
    sqs.DeleteMessage({ QueueUrl: q, ReceiptHandle: held.ReceiptHandle! });
    expect(((await poll).Messages ?? []).map((m) => m.Body)).toEqual(["b"]);
    // Woken by the delete, not by the end of a's 30 s visibility timeout or of the 20 s wait.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("deduplicate per message group when DeduplicationScope is messageGroup", async () => {
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "scoped.fifo", Attributes: { FifoQueue: "true", DeduplicationScope: "messageGroup" } }).QueueUrl;
    sqs.SendMessage({ QueueUrl: q, MessageBody: "g1", MessageGroupId: "g", MessageDeduplicationId: "same" });
    sqs.SendMessage({ QueueUrl: q, MessageBody: "h1", MessageGroupId: "h", MessageDeduplicationId: "same" });
    sqs.SendMessage({ QueueUrl: q, MessageBody: "g2", MessageGroupId: "g", MessageDeduplicationId: "same" });
    expect((await bodies(sqs, q)).sort()).toEqual(["g1", "h1"]);
  });

  it("dead-letter to a FIFO DLQ keeping the group, and refuse a standard DLQ", async () => {
    const sqs = make();
    const dlq = sqs.CreateQueue({ QueueName: "dead.fifo", Attributes: { FifoQueue: "true" } }).QueueUrl;
    sqs.CreateQueue({ QueueName: "standard-dlq" });
    const redrive = (target: string) => JSON.stringify({ deadLetterTargetArn: arn(target), maxReceiveCount: 1 });
    expect(() =>
      sqs.CreateQueue({ QueueName: "bad.fifo", Attributes: { FifoQueue: "true", RedrivePolicy: redrive("standard-dlq") } }),
    ).toThrow(expect.objectContaining({ code: "InvalidParameterValue" }));
    const q = sqs.CreateQueue({
      QueueName: "src.fifo",
      Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", VisibilityTimeout: "0", RedrivePolicy: redrive("dead.fifo") },
    }).QueueUrl;
    sqs.SendMessage({ QueueUrl: q, MessageBody: "poison", MessageGroupId: "g" });
    expect(await bodies(sqs, q)).toEqual(["poison"]);
    expect(await bodies(sqs, q)).toEqual([]);
    const dead = (await sqs.ReceiveMessage({ QueueUrl: dlq, MessageSystemAttributeNames: ["MessageGroupId"] })).Messages ?? [];
    expect(dead.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([["poison", "g"]]);
  });

  it("restore a group's order from a snapshot", async () => {
    const sqs = make();
    const q = sqs.CreateQueue({ QueueName: "kept.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }).QueueUrl;
    for (const body of ["1", "2", "3"]) sqs.SendMessage({ QueueUrl: q, MessageBody: body, MessageGroupId: "g" });
    const snapshot = JSON.parse(JSON.stringify(sqs.store.snapshot()));
    snapshot[0].messages.reverse();
    const restored = make();
    restored.store.restore(snapshot);
    expect(await bodies(restored, q)).toEqual(["1", "2", "3"]);
  });
});
