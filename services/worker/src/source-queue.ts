/**
 * What the worker needs to know about the queue a message came from, looked up once per queue:
 * its URL (the Lambda event names the queue by ARN) and its DLQ's `maxReceiveCount`. And the one
 * thing it does to a message besides succeeding or failing it: make it visible again soon.
 */
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";

export interface SourceQueue {
  url: string;
  /** From the queue's redrive policy; undefined when it has none. */
  maxReceiveCount: number | undefined;
}

export interface SourceQueues {
  /** `arn:aws:sqs:region:account:name` or a queue URL. Rejects when SQS cannot be asked. */
  lookup(arnOrUrl: string): Promise<SourceQueue>;
}

/**
 * @example
 * const queues = createSourceQueues(sqs);
 * const { url, maxReceiveCount } = await queues.lookup(record.eventSourceARN);
 */
export function createSourceQueues(sqs: SQSClient): SourceQueues {
  const cache = new Map<string, Promise<SourceQueue>>();
  async function resolve(arnOrUrl: string): Promise<SourceQueue> {
    let url = arnOrUrl;
    if (arnOrUrl.startsWith("arn:")) {
      const [, , , , account, name] = arnOrUrl.split(":");
      const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
      if (!out.QueueUrl) throw new Error(`no URL for queue ${arnOrUrl}`);
      url = out.QueueUrl;
    }
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["RedrivePolicy"] }));
    const policy = attrs.Attributes?.RedrivePolicy;
    const max = policy ? Number((JSON.parse(policy) as { maxReceiveCount?: unknown }).maxReceiveCount) : Number.NaN;
    return { url, maxReceiveCount: Number.isFinite(max) && max > 0 ? max : undefined };
  }
  return {
    lookup(arnOrUrl) {
      let hit = cache.get(arnOrUrl);
      if (!hit) {
        hit = resolve(arnOrUrl);
        // A failed lookup is asked again next time.
        hit.catch(() => cache.delete(arnOrUrl));
        cache.set(arnOrUrl, hit);
      }
      return hit;
    },
  };
}

/**
 * Makes a received message visible again after `seconds` (instead of the queue's whole
 * visibility timeout). Best effort: resolves false when SQS refuses, the timeout then applies.
 * @example
 * await deferMessage(sqs, queueUrl, record.receiptHandle, 5);
 */
export async function deferMessage(sqs: SQSClient, queueUrl: string, receiptHandle: string, seconds: number): Promise<boolean> {
  try {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    return true;
  } catch {
    return false;
  }
}
