/**
 * SQS FIFO queues through SDK v3: ordering within a message group, a group held while one of
 * its messages is in flight, deduplication by id and by content, and the parameters FIFO
 * queues require or refuse.
 */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { expect } from "vitest";
import { awsError } from "./aws-error.ts";
import type { ContractCase } from "./contract-case.ts";
import type { ContractContext } from "./contract-context.ts";

async function fifoQueue(ctx: ContractContext, prefix: string, attributes: Record<string, string> = {}): Promise<string> {
  const out = await ctx.sqs.send(
    new CreateQueueCommand({ QueueName: `${ctx.uniqueName(prefix)}.fifo`, Attributes: { FifoQueue: "true", ...attributes } }),
  );
  return out.QueueUrl!;
}

async function receive(ctx: ContractContext, QueueUrl: string, max = 10): Promise<Message[]> {
  const out = await ctx.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 30,
      MessageSystemAttributeNames: ["All"],
    }),
  );
  return out.Messages ?? [];
}

/** Receives (and deletes) until nothing more comes back; the bodies in delivery order. */
async function drain(ctx: ContractContext, QueueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < 10; i++) {
    const got = await receive(ctx, QueueUrl);
    if (got.length === 0) break;
    for (const m of got) {
      bodies.push(m.Body!);
      await ctx.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return bodies;
}

export function sqsFifoCases(contractCase: ContractCase): void {
  contractCase(
    "sqs fifo: a .fifo queue with FifoQueue=true reports its FIFO attributes; FifoQueue on another name is refused",
    async (ctx) => {
      const QueueUrl = await fifoQueue(ctx, "fifo-attrs");
      expect(QueueUrl).toMatch(/\.fifo$/);
      const { Attributes = {} } = await ctx.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
      expect(Attributes).toMatchObject({ FifoQueue: "true", ContentBasedDeduplication: "false" });
      const wrongName = await awsError(
        ctx.sqs.send(new CreateQueueCommand({ QueueName: ctx.uniqueName("not-fifo"), Attributes: { FifoQueue: "true" } })),
      );
      expect(wrongName.name).toBe("InvalidParameterValue");
      expect(wrongName.$metadata?.httpStatusCode).toBe(400);
    },
  );

  contractCase(
    "sqs fifo: SendMessage needs MessageGroupId, and MessageDeduplicationId unless content-based; DelaySeconds is refused",
    async (ctx) => {
      const QueueUrl = await fifoQueue(ctx, "fifo-params");
      const noGroup = await awsError(ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageDeduplicationId: "d" })));
      expect(noGroup.name).toBe("MissingParameter");
      const noDedup = await awsError(ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageGroupId: "g" })));
      expect(noDedup.name).toBe("InvalidParameterValue");
      expect(noDedup.message).toContain("ContentBasedDeduplication");
      const delayed = await awsError(
        ctx.sqs.send(
          new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "d", DelaySeconds: 5 }),
        ),
      );
      expect(delayed.name).toBe("InvalidParameterValue");
    },
  );

  contractCase("sqs fifo: a group's messages arrive in send order, and the group is held while one is in flight", async (ctx) => {
    const QueueUrl = await fifoQueue(ctx, "fifo-order");
    for (const [body, group] of [
      ["a1", "A"],
      ["a2", "A"],
      ["b1", "B"],
      ["a3", "A"],
    ]) {
      const sent = await ctx.sqs.send(
        new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: body }),
      );
      expect(sent.SequenceNumber).toMatch(/^\d+$/);
    }
    const [first] = await receive(ctx, QueueUrl, 1);
    expect(first.Body).toBe("a1");
    expect(first.Attributes).toMatchObject({ MessageGroupId: "A", MessageDeduplicationId: "a1" });
    expect(first.Attributes?.SequenceNumber).toMatch(/^\d+$/);
    // A is held by a1 (in flight): only B can be delivered.
    const whileHeld = await receive(ctx, QueueUrl);
    expect(whileHeld.map((m) => m.Body)).toEqual(["b1"]);
    await ctx.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle! }));
    await ctx.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: whileHeld[0].ReceiptHandle! }));
    expect(await drain(ctx, QueueUrl)).toEqual(["a2", "a3"]);
  });

  contractCase(
    "sqs fifo: a repeated deduplication id is accepted and delivered once; content-based deduplication uses the body",
    async (ctx) => {
      const byId = await fifoQueue(ctx, "fifo-dedup");
      await ctx.sqs.send(
        new SendMessageCommand({ QueueUrl: byId, MessageBody: "first", MessageGroupId: "g", MessageDeduplicationId: "same" }),
      );
      await ctx.sqs.send(
        new SendMessageCommand({ QueueUrl: byId, MessageBody: "second", MessageGroupId: "g", MessageDeduplicationId: "same" }),
      );
      expect(await drain(ctx, byId)).toEqual(["first"]);

      const byContent = await fifoQueue(ctx, "fifo-content", { ContentBasedDeduplication: "true" });
      const sent = await ctx.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: byContent,
          Entries: [
            { Id: "a", MessageBody: "same body", MessageGroupId: "g" },
            { Id: "b", MessageBody: "same body", MessageGroupId: "g" },
            { Id: "c", MessageBody: "other body", MessageGroupId: "g" },
          ],
        }),
      );
      expect(sent.Successful?.map((e) => e.Id).sort()).toEqual(["a", "b", "c"]);
      expect(await drain(ctx, byContent)).toEqual(["same body", "other body"]);
    },
  );
}
