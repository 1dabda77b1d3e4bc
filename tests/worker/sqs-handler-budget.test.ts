/**
 * The Lambda handler's per-record time budget, with a runtime and an SQS that stand in and a
 * virtual clock (each record "takes" what the stand-in says; nothing sleeps): a record starts
 * only while the invocation has the budget left; the rest come back as batch item failures,
 * visible again at once, and one at its last receive is marked dead-lettered instead of vanishing.
 */

import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { createLogger } from "@bluemoxon/core";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createSqsHandler } from "../../services/worker/src/create-sqs-handler.ts";

const arn = "arn:aws:sqs:us-east-1:000000000000:bluemoxon-local-image-processing";

function record(id: string, receiveCount = 1): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify({ id }),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: arn,
    awsRegion: "us-east-1",
  } as unknown as SQSRecord;
}

function world({ recordMs }: { recordMs: number }) {
  let now = 0;
  const deadline = 100_000;
  const started: string[] = [];
  const timeouts: (number | undefined)[] = [];
  const deadLettered: { body: string; reason: string }[] = [];
  const visibility: { handle: string; seconds: number }[] = [];
  const sqs = {
    async send(command: unknown) {
      if (command instanceof GetQueueUrlCommand) return { QueueUrl: "http://sqs/queue" };
      if (command instanceof GetQueueAttributesCommand) return { Attributes: { RedrivePolicy: JSON.stringify({ maxReceiveCount: 5 }) } };
      if (command instanceof ChangeMessageVisibilityCommand)
        visibility.push({ handle: command.input.ReceiptHandle!, seconds: command.input.VisibilityTimeout! });
      return {};
    },
  } as unknown as SQSClient;
  const runtime = {
    aws: { sqs } as never,
    run: async (body: string, _log?: unknown, delivery?: { timeoutMs?: number }) => {
      started.push(JSON.parse(body).id);
      timeouts.push(delivery?.timeoutMs);
      now += recordMs;
      return { outcome: "completed" as const, jobId: "j", processedKey: "k", width: 1, height: 1, ms: recordMs };
    },
    markDeadLettered: async (body: string, reason: string) => {
      deadLettered.push({ body, reason });
      return true;
    },
  };
  const context = { getRemainingTimeInMillis: () => deadline - now } as unknown as Context;
  return { runtime, context, started, deadLettered, visibility, timeouts };
}

describe("the handler's time budget per record", () => {
  it("starts a record only with the budget left; the others fail without running and are visible again at once", async () => {
    const w = world({ recordMs: 50_000 });
    const handler = createSqsHandler(w.runtime, createLogger({ service: "test", level: "error" }), { recordBudgetMs: 60_000 });
    const event = { Records: [record("a"), record("b"), record("c")] } as SQSEvent;
    const out = await handler(event, w.context);
    expect(w.started).toEqual(["a"]);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["b", "c"]);
    expect(w.visibility).toEqual([
      { handle: "rh-b", seconds: 0 },
      { handle: "rh-c", seconds: 0 },
    ]);
    expect(w.deadLettered).toEqual([]);
  });

  it("marks a record it cannot start at its last receive as dead-lettered, so the DLQ copy has a failed job", async () => {
    const w = world({ recordMs: 50_000 });
    const handler = createSqsHandler(w.runtime, createLogger({ service: "test", level: "error" }), { recordBudgetMs: 60_000 });
    const out = await handler({ Records: [record("a"), record("b", 5)] } as SQSEvent, w.context);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["b"]);
    expect(w.deadLettered).toEqual([{ body: JSON.stringify({ id: "b" }), reason: expect.stringMatching(/not started/) }]);
  });

  it("runs every record when the invocation has time for all of them", async () => {
    const w = world({ recordMs: 10_000 });
    const handler = createSqsHandler(w.runtime, createLogger({ service: "test", level: "error" }), { recordBudgetMs: 60_000 });
    const out = await handler({ Records: [record("a"), record("b"), record("c")] } as SQSEvent, w.context);
    expect(w.started).toEqual(["a", "b", "c"]);
    expect(out.batchItemFailures).toEqual([]);
    // Each record's background removal must end 10 s before the invocation does.
    expect(w.timeouts).toEqual([90_000, 80_000, 70_000]);
  });
});
