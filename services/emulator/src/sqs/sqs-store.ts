/** SQS state: the queues by name, and their snapshot for persistence (in-flight messages come back visible). */
import type { ServiceState } from "../emulated-service.ts";
import { wireRecord } from "../wire-record.ts";
import { type SqsMessage, SqsQueue } from "./sqs-queue.ts";

export interface QueueSnapshot {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  lastModified: number;
  messages: Omit<SqsMessage, "gen" | "deleted" | "receipt">[];
}

export interface SqsStoreOptions {
  baseUrl: string;
  region: string;
  accountId: string;
  onChange?: () => void;
}

export class SqsStore implements ServiceState<QueueSnapshot[]> {
  readonly file = "sqs.json";
  readonly queues = new Map<string, SqsQueue>();

  constructor(private readonly options: SqsStoreOptions) {}

  queueUrl(name: string): string {
    return `${this.options.baseUrl}/${this.options.accountId}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${this.options.accountId}:${name}`;
  }

  /** The queue a dead-letter target ARN names, if it exists. */
  byArn(arn: string): SqsQueue | undefined {
    return this.queues.get(arn.split(":").pop() ?? "");
  }

  create(name: string, attributes: Record<string, string>, tags: Record<string, string>): SqsQueue {
    const queue = new SqsQueue(name, this.queueUrl(name), this.queueArn(name), attributes);
    queue.tags = tags;
    this.queues.set(name, queue);
    this.changed();
    return queue;
  }

  delete(queue: SqsQueue): void {
    this.queues.delete(queue.name);
    queue.purge();
    queue.notify();
    this.changed();
  }

  changed(): void {
    this.options.onChange?.();
  }

  snapshot(): QueueSnapshot[] {
    return [...this.queues.values()].map((q) => ({
      name: q.name,
      attributes: q.attributes,
      tags: q.tags,
      createdAt: q.createdAt,
      lastModified: q.lastModified,
      messages: [...q.messages.values()].map(({ gen: _g, deleted: _d, receipt: _r, ...m }) => m),
    }));
  }

  /** Restores queues; in-flight messages become visible again (their consumer is gone). */
  restore(queues: QueueSnapshot[]): void {
    for (const s of queues) {
      const q = new SqsQueue(s.name, this.queueUrl(s.name), this.queueArn(s.name), s.attributes, s.createdAt);
      q.tags = wireRecord(Object.entries(s.tags ?? {}));
      q.lastModified = s.lastModified;
      this.queues.set(s.name, q);
    }
    for (const s of queues) {
      const q = this.queues.get(s.name)!;
      for (const m of s.messages) {
        q.enqueue({ ...m, gen: 0, deleted: false, visibleAt: m.receiveCount > 0 ? 0 : m.visibleAt });
      }
    }
  }
}
