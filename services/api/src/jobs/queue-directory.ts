/** Queue URLs by logical name, looked up once (GetQueueUrl) and cached; a failed lookup is retried next time. */
import { GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { ResourceNames } from "@bluemoxon/core";

export interface QueueDirectory {
  url(logical: string, options?: { dlq?: boolean }): Promise<string>;
}

/**
 * @example
 * const queues = createQueueDirectory({ sqs, names, known: { "image-processing": process.env.QUEUE_URL } });
 * await queues.url("image-processing", { dlq: true });
 */
export function createQueueDirectory({
  sqs,
  names,
  known = {},
}: {
  sqs: SQSClient;
  names: ResourceNames;
  /** URLs already known (provisioning output), keyed `name` or `name#dlq`. */
  known?: Record<string, string | undefined>;
}): QueueDirectory {
  const cache = new Map<string, Promise<string>>();
  for (const [k, v] of Object.entries(known)) if (v) cache.set(k, Promise.resolve(v));
  return {
    url(logical, { dlq = false } = {}) {
      const key = dlq ? `${logical}#dlq` : logical;
      let hit = cache.get(key);
      if (!hit) {
        const QueueName = dlq ? names.dlq(logical) : names.queue(logical);
        hit = sqs.send(new GetQueueUrlCommand({ QueueName })).then((out) => {
          if (!out.QueueUrl) throw new Error(`no URL for queue ${QueueName}`);
          return out.QueueUrl;
        });
        hit.catch(() => cache.delete(key));
        cache.set(key, hit);
      }
      return hit;
    },
  };
}
