/**
 * SQS operations on the SDK's request types (the protocol turns both wire formats into them and
 * renders the results). Standard queues only. Method names are the operation names.
 */
import type {
  ChangeMessageVisibilityBatchRequest,
  ChangeMessageVisibilityRequest,
  CreateQueueRequest,
  DeleteMessageBatchRequest,
  DeleteMessageRequest,
  DeleteQueueRequest,
  GetQueueAttributesRequest,
  GetQueueUrlRequest,
  ListDeadLetterSourceQueuesRequest,
  ListQueuesRequest,
  ListQueueTagsRequest,
  PurgeQueueRequest,
  ReceiveMessageRequest,
  SetQueueAttributesRequest,
  TagQueueRequest,
  UntagQueueRequest,
} from "@aws-sdk/client-sqs";
import { wireRecord } from "../wire-record.ts";
import { duplicateOf } from "./fifo-deduplication.ts";
import { longPoll } from "./long-poll.ts";
import { changeVisibility, messageForHandle } from "./receipt-handles.ts";
import { type BatchResult, checkBatch, eachEntry } from "./sqs-batch.ts";
import { invalidParameter, missingParameter, queueDoesNotExist, sqsError } from "./sqs-errors.ts";
import { batchBytes, type MessageEntry, newMessage } from "./sqs-message-input.ts";
import { type ReceivedMessage, receivedMessage, type SentMessage, sentMessage } from "./sqs-message-output.ts";
import type { SqsMessage, SqsQueue } from "./sqs-queue.ts";
import {
  defaultAttributes,
  fifoDefaults,
  isFifoQueue,
  type QueueAttributes,
  readQueueAttributes,
  validateQueueAttributes,
} from "./sqs-queue-attributes.ts";
import { SqsStore, type SqsStoreOptions } from "./sqs-store.ts";

export type SendMessageInput = MessageEntry & { QueueUrl: string | undefined };
export type SendMessageBatchInput = { QueueUrl: string | undefined; Entries: (MessageEntry & { Id: string })[] | undefined };
/** The query protocol spells CreateQueue's tags `Tag.N.Key`, which arrive as `Tags`. */
export type CreateQueueInput = CreateQueueRequest & { Tags?: Record<string, string> };

const defaultSender = "AIDAEMULATOR000000000";

export class SqsService {
  readonly store: SqsStore;
  private readonly polls = new Set<() => void>();
  private closed = false;

  constructor(options: SqsStoreOptions, store?: SqsStore) {
    this.store = store ?? new SqsStore(options);
  }

  /** Queue name from a queue URL (any host, so `localhost` URLs work too). */
  static nameFromUrl(url: unknown): string | undefined {
    if (typeof url !== "string" || !url) return undefined;
    const path = url.replace(/^[a-z]+:\/\/[^/]*/i, "").replace(/[?#].*$/, "");
    const parts = path.split("/").filter(Boolean);
    if (!parts.length) return undefined;
    try {
      return decodeURIComponent(parts[parts.length - 1]);
    } catch {
      return parts[parts.length - 1];
    }
  }

  private queueFor(input: { QueueUrl?: string }): SqsQueue {
    if (input.QueueUrl === undefined || input.QueueUrl === "") throw missingParameter("QueueUrl");
    const queue = this.store.queues.get(SqsService.nameFromUrl(input.QueueUrl) ?? "");
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  private validAttributes(attributes: QueueAttributes | undefined, fifo: boolean): Record<string, string> {
    return validateQueueAttributes(attributes ?? {}, fifo, (arn) => {
      const queue = this.store.byArn(arn);
      return queue ? (queue.fifo ? "fifo" : "standard") : undefined;
    });
  }

  CreateQueue(input: CreateQueueInput): { QueueUrl: string } {
    const name = input.QueueName;
    if (typeof name !== "string" || name === "") throw missingParameter("QueueName");
    const fifo = isFifoQueue(name, input.Attributes?.FifoQueue);
    const requested = { ...(fifo ? fifoDefaults : {}), ...this.validAttributes(input.Attributes, fifo) };
    const existing = this.store.queues.get(name);
    if (existing) {
      for (const [k, v] of Object.entries(requested)) {
        if ((existing.attributes[k] ?? defaultAttributes[k] ?? "") !== v) {
          throw sqsError("QueueAlreadyExists", `A queue already exists with the same name and a different value for attribute ${k}`);
        }
      }
      return { QueueUrl: existing.url };
    }
    const queue = this.store.create(
      name,
      { ...defaultAttributes, ...requested },
      wireRecord(Object.entries(input.tags ?? input.Tags ?? {})),
    );
    return { QueueUrl: queue.url };
  }

  GetQueueUrl(input: GetQueueUrlRequest): { QueueUrl: string } {
    if (typeof input.QueueName !== "string" || input.QueueName === "") throw missingParameter("QueueName");
    const queue = this.store.queues.get(input.QueueName);
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: queue.url };
  }

  DeleteQueue(input: DeleteQueueRequest): Record<string, never> {
    this.store.delete(this.queueFor(input));
    return {};
  }

  PurgeQueue(input: PurgeQueueRequest): Record<string, never> {
    this.queueFor(input).purge();
    this.store.changed();
    return {};
  }

  ListQueues(input: ListQueuesRequest): { QueueUrls?: string[]; NextToken?: string } {
    const prefix = typeof input.QueueNamePrefix === "string" ? input.QueueNamePrefix : "";
    let names = [...this.store.queues.keys()].filter((n) => n.startsWith(prefix)).sort();
    const start = input.NextToken ? names.indexOf(Buffer.from(String(input.NextToken), "base64url").toString()) + 1 : 0;
    names = names.slice(Math.max(0, start));
    const max = input.MaxResults === undefined ? undefined : Number(input.MaxResults);
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw invalidParameter("Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.");
    }
    const page = max === undefined ? names.slice(0, 1000) : names.slice(0, max);
    const out: { QueueUrls?: string[]; NextToken?: string } = {};
    if (page.length) out.QueueUrls = page.map((n) => this.store.queueUrl(n));
    if (max !== undefined && names.length > page.length) out.NextToken = Buffer.from(page[page.length - 1]).toString("base64url");
    return out;
  }

  GetQueueAttributes(input: GetQueueAttributesRequest): { Attributes?: Record<string, string> } {
    const queue = this.queueFor(input);
    const attributes = readQueueAttributes(queue, input.AttributeNames ?? []);
    return Object.keys(attributes).length ? { Attributes: attributes } : {};
  }

  SetQueueAttributes(input: SetQueueAttributesRequest): Record<string, never> {
    const queue = this.queueFor(input);
    if (input.Attributes?.FifoQueue !== undefined) throw sqsError("InvalidAttributeName", "Unknown Attribute FifoQueue.");
    queue.setAttributes(this.validAttributes(input.Attributes, queue.fifo !== undefined));
    this.store.changed();
    return {};
  }

  SendMessage(input: SendMessageInput, senderId = defaultSender): SentMessage {
    const queue = this.queueFor(input);
    const sent = this.send(queue, input, senderId);
    this.store.changed();
    return sent;
  }

  /** Enqueues one message, unless a FIFO queue saw its deduplication id in the last five minutes: then it answers as for the first. */
  private send(queue: SqsQueue, entry: MessageEntry, senderId: string): SentMessage {
    const msg = newMessage(queue, entry, senderId);
    const earlier = duplicateOf(queue, msg);
    // Accepted, not enqueued again. The MD5s are of what this request sent (the SDK checks them).
    if (earlier) return { ...sentMessage(msg), MessageId: earlier.id, SequenceNumber: earlier.sequenceNumber };
    queue.enqueue(msg);
    return sentMessage(msg);
  }

  SendMessageBatch(input: SendMessageBatchInput, senderId = defaultSender): BatchResult<SentMessage> {
    const queue = this.queueFor(input);
    const entries = checkBatch(input.Entries);
    if (batchBytes(entries) > queue.num("MaximumMessageSize")) {
      throw sqsError("BatchRequestTooLong", `Batch requests cannot be longer than ${queue.num("MaximumMessageSize")} bytes.`);
    }
    return this.batch(entries, (entry) => this.send(queue, entry, senderId));
  }

  async ReceiveMessage(input: ReceiveMessageRequest): Promise<{ Messages?: ReceivedMessage[] }> {
    const queue = this.queueFor(input);
    const max = bounded(input.MaxNumberOfMessages, 1, 1, 10, "MaxNumberOfMessages", "Must be between 1 and 10, if provided.");
    const visibility = bounded(
      input.VisibilityTimeout,
      queue.num("VisibilityTimeout"),
      0,
      43_200,
      "VisibilityTimeout",
      "Must be between 0 and 43200.",
    );
    const wait = bounded(
      input.WaitTimeSeconds,
      queue.num("ReceiveMessageWaitTimeSeconds"),
      0,
      20,
      "WaitTimeSeconds",
      "Must be >= 0 and <= 20, if provided.",
    );
    const take = () => {
      const got = queue.receive(max, visibility, (m) => this.deadLetter(queue, m));
      if (got.length) this.store.changed();
      return got;
    };
    let messages = take();
    if (messages.length === 0 && wait > 0 && !this.closed) {
      messages = await longPoll({
        queue,
        take,
        waitMs: wait * 1000,
        gone: () => this.closed || !this.store.queues.has(queue.name),
        track: (abort) => {
          this.polls.add(abort);
          return () => this.polls.delete(abort);
        },
      });
    }
    const systemNames: string[] = [...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])];
    const attrFilter: string[] = input.MessageAttributeNames ?? [];
    return messages.length ? { Messages: messages.map((m) => receivedMessage(m, systemNames, attrFilter)) } : {};
  }

  private deadLetter(source: SqsQueue, msg: SqsMessage): boolean {
    const target = source.redrive ? this.store.byArn(source.redrive.deadLetterTargetArn) : undefined;
    if (!target) return false;
    msg.visibleAt = Date.now();
    msg.receipt = undefined;
    target.enqueue(msg);
    return true;
  }

  private batch<E extends { Id: string }, R extends object>(entries: E[], run: (entry: E) => R): BatchResult<R> {
    const result = eachEntry(entries, run);
    if (result.Successful.length) this.store.changed();
    return result;
  }

  DeleteMessage(input: DeleteMessageRequest): Record<string, never> {
    const queue = this.queueFor(input);
    const msg = messageForHandle(queue, input.ReceiptHandle);
    // AWS accepts a stale handle of an already-deleted message silently.
    if (msg) {
      queue.remove(msg);
      this.store.changed();
    }
    return {};
  }

  DeleteMessageBatch(input: DeleteMessageBatchRequest): BatchResult<object> {
    const queue = this.queueFor(input);
    return this.batch(checkBatch(input.Entries), (entry) => {
      const msg = messageForHandle(queue, entry.ReceiptHandle);
      if (msg) queue.remove(msg);
      return {};
    });
  }

  ChangeMessageVisibility(input: ChangeMessageVisibilityRequest): Record<string, never> {
    const queue = this.queueFor(input);
    changeVisibility(queue, input.ReceiptHandle, input.VisibilityTimeout);
    this.store.changed();
    return {};
  }

  ChangeMessageVisibilityBatch(input: ChangeMessageVisibilityBatchRequest): BatchResult<object> {
    const queue = this.queueFor(input);
    return this.batch(checkBatch(input.Entries), (entry) => {
      changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout);
      return {};
    });
  }

  ListDeadLetterSourceQueues(input: ListDeadLetterSourceQueuesRequest): { queueUrls: string[] } {
    const queue = this.queueFor(input);
    const urls = [...this.store.queues.values()]
      .filter((q) => q.redrive?.deadLetterTargetArn === queue.arn)
      .map((q) => q.url)
      .sort();
    return { queueUrls: urls };
  }

  TagQueue(input: TagQueueRequest): Record<string, never> {
    const queue = this.queueFor(input);
    for (const [key, value] of Object.entries(input.Tags ?? {})) queue.tags[key] = value;
    this.store.changed();
    return {};
  }

  UntagQueue(input: UntagQueueRequest): Record<string, never> {
    const queue = this.queueFor(input);
    for (const key of input.TagKeys ?? []) delete queue.tags[key];
    this.store.changed();
    return {};
  }

  ListQueueTags(input: ListQueueTagsRequest): { Tags?: Record<string, string> } {
    const queue = this.queueFor(input);
    return Object.keys(queue.tags).length ? { Tags: { ...queue.tags } } : {};
  }

  /** Ends pending long polls (they return no messages). */
  close(): void {
    this.closed = true;
    for (const abort of [...this.polls]) abort();
  }
}

/** An optional integer parameter within [min, max], `fallback` when absent. */
function bounded(value: unknown, fallback: number, min: number, max: number, name: string, reason: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalidParameter(`Value ${value} for parameter ${name} is invalid. Reason: ${reason}`);
  return n;
}
