/**
 * SQS operations on JSON-protocol-shaped inputs and outputs (the query protocol is translated to
 * and from these shapes). Standard queues only.
 */
import { randomUUID } from "node:crypto";
import type { AwsServiceError } from "../errors.ts";
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from "./message-attributes-md5.ts";
import { invalidParameter, missingParameter, queueDoesNotExist, sqsError } from "./sqs-errors.ts";
import { parseReceiptHandle, type SqsMessage, SqsQueue } from "./sqs-queue.ts";

// biome-ignore lint/suspicious/noExplicitAny: wire inputs are untyped JSON, validated field by field.
export type Input = Record<string, any>;
export type Output = Record<string, unknown>;

const defaults: Record<string, string> = {
  VisibilityTimeout: "30",
  MaximumMessageSize: "262144",
  MessageRetentionPeriod: "345600",
  DelaySeconds: "0",
  ReceiveMessageWaitTimeSeconds: "0",
};
const ranges: Record<string, [number, number]> = {
  VisibilityTimeout: [0, 43_200],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  DelaySeconds: [0, 900],
  ReceiveMessageWaitTimeSeconds: [0, 20],
};
const settable = new Set([
  ...Object.keys(defaults),
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "Policy",
  "SqsManagedSseEnabled",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
]);
const readable = new Set([
  ...settable,
  "All",
  "QueueArn",
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
]);
const systemAttributeNames = ["SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"];
const queueNamePattern = /^[A-Za-z0-9_-]{1,80}$/;
const batchIdPattern = /^[A-Za-z0-9_-]{1,80}$/;
// Characters SQS accepts in a message body (XML 1.0 characters).
const invalidBodyChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export interface SqsServiceOptions {
  baseUrl: string;
  region: string;
  accountId: string;
  onChange?: () => void;
}

export interface QueueSnapshot {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  lastModified: number;
  messages: Omit<SqsMessage, "gen" | "deleted" | "receipt">[];
}

export class SqsService {
  readonly queues = new Map<string, SqsQueue>();
  private readonly pending = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: SqsServiceOptions) {}

  queueUrl(name: string): string {
    return `${this.options.baseUrl}/${this.options.accountId}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${this.options.accountId}:${name}`;
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

  private changed(): void {
    this.options.onChange?.();
  }

  private queueFor(input: Input): SqsQueue {
    if (input.QueueUrl === undefined || input.QueueUrl === "") throw missingParameter("QueueUrl");
    const queue = this.queues.get(SqsService.nameFromUrl(input.QueueUrl) ?? "");
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  private validateAttributes(attributes: Record<string, string>, creating: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(attributes ?? {})) {
      const value = String(raw);
      if (name === "FifoQueue" || name === "ContentBasedDeduplication" || name === "DeduplicationScope" || name === "FifoThroughputLimit") {
        if (name === "FifoQueue" && value === "false") continue;
        throw sqsError("UnsupportedOperation", "FIFO queues are not supported by the BlueMoxon emulator; use a standard queue.");
      }
      if (!settable.has(name)) throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
      const range = ranges[name];
      if (range) {
        const n = Number(value);
        if (value.trim() === "" || !Number.isInteger(n) || n < range[0] || n > range[1]) {
          throw sqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
        }
        out[name] = String(n);
        continue;
      }
      if (name === "RedrivePolicy" && value !== "") {
        let parsed: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
        try {
          parsed = JSON.parse(value);
        } catch {
          throw invalidParameter("Value for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.");
        }
        const max = Number(parsed.maxReceiveCount);
        if (typeof parsed.deadLetterTargetArn !== "string" || !Number.isInteger(max) || max < 1 || max > 1000) {
          throw invalidParameter(
            "Value for parameter RedrivePolicy is invalid. Reason: Redrive policy requires deadLetterTargetArn and maxReceiveCount (1 to 1000).",
          );
        }
        const target = parsed.deadLetterTargetArn.split(":").pop() ?? "";
        if (!this.queues.has(target)) {
          throw sqsError(
            "AWS.SimpleQueueService.NonExistentQueue",
            `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
          );
        }
        out[name] = JSON.stringify({ deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount: max });
        continue;
      }
      out[name] = value;
    }
    if (creating) return { ...defaults, ...out };
    return out;
  }

  CreateQueue(input: Input): Output {
    const name = input.QueueName;
    if (typeof name !== "string" || name === "") throw missingParameter("QueueName");
    if (name.endsWith(".fifo")) {
      throw sqsError("UnsupportedOperation", "FIFO queues are not supported by the BlueMoxon emulator; use a standard queue.");
    }
    if (!queueNamePattern.test(name)) {
      throw invalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
    }
    const requested = this.validateAttributes(input.Attributes ?? {}, false);
    const existing = this.queues.get(name);
    if (existing) {
      for (const [k, v] of Object.entries(requested)) {
        if ((existing.attributes[k] ?? defaults[k] ?? "") !== v) {
          throw sqsError("QueueAlreadyExists", `A queue already exists with the same name and a different value for attribute ${k}`);
        }
      }
      return { QueueUrl: existing.url };
    }
    const queue = new SqsQueue(name, this.queueUrl(name), this.queueArn(name), { ...defaults, ...requested });
    queue.tags = { ...(input.tags ?? input.Tags ?? {}) };
    this.queues.set(name, queue);
    this.changed();
    return { QueueUrl: queue.url };
  }

  GetQueueUrl(input: Input): Output {
    if (typeof input.QueueName !== "string" || input.QueueName === "") throw missingParameter("QueueName");
    const queue = this.queues.get(input.QueueName);
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: queue.url };
  }

  DeleteQueue(input: Input): Output {
    const queue = this.queueFor(input);
    this.queues.delete(queue.name);
    queue.purge();
    queue.notify();
    this.changed();
    return {};
  }

  PurgeQueue(input: Input): Output {
    this.queueFor(input).purge();
    this.changed();
    return {};
  }

  ListQueues(input: Input): Output {
    const prefix = typeof input.QueueNamePrefix === "string" ? input.QueueNamePrefix : "";
    let names = [...this.queues.keys()].filter((n) => n.startsWith(prefix)).sort();
    const start = input.NextToken ? names.indexOf(Buffer.from(String(input.NextToken), "base64url").toString()) + 1 : 0;
    names = names.slice(Math.max(0, start));
    const max = input.MaxResults === undefined ? undefined : Number(input.MaxResults);
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw invalidParameter("Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.");
    }
    const page = max === undefined ? names.slice(0, 1000) : names.slice(0, max);
    const out: Output = {};
    if (page.length) out.QueueUrls = page.map((n) => this.queueUrl(n));
    if (max !== undefined && names.length > page.length) out.NextToken = Buffer.from(page[page.length - 1]).toString("base64url");
    return out;
  }

  GetQueueAttributes(input: Input): Output {
    const queue = this.queueFor(input);
    const names: string[] = input.AttributeNames ?? [];
    for (const n of names) if (!readable.has(n)) throw sqsError("InvalidAttributeName", `Unknown Attribute ${n}.`);
    if (names.length === 0) return {};
    const all = names.includes("All");
    const want = (n: string) => all || names.includes(n);
    const out: Record<string, string> = {};
    const counts = queue.counts();
    const computed: Record<string, string> = {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModified / 1000)),
      SqsManagedSseEnabled: "false",
      ...queue.attributes,
    };
    for (const [k, v] of Object.entries(computed)) if (want(k)) out[k] = v;
    return Object.keys(out).length ? { Attributes: out } : {};
  }

  SetQueueAttributes(input: Input): Output {
    const queue = this.queueFor(input);
    queue.setAttributes(this.validateAttributes(input.Attributes ?? {}, false));
    this.changed();
    return {};
  }

  private buildMessage(queue: SqsQueue, entry: Input, senderId: string): SqsMessage {
    const body = entry.MessageBody;
    if (typeof body !== "string") throw missingParameter("MessageBody");
    if (body.length === 0) throw invalidParameter("The request must contain the parameter MessageBody.");
    if (invalidBodyChar.test(body)) {
      throw sqsError(
        "InvalidMessageContents",
        "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
      );
    }
    const attributes = validateMessageAttributes(entry.MessageAttributes ?? {});
    const size = Buffer.byteLength(body) + attributeBytes(attributes);
    const limit = queue.num("MaximumMessageSize");
    if (size > limit) {
      throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
    }
    const delay = entry.DelaySeconds === undefined ? queue.num("DelaySeconds") : Number(entry.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw invalidParameter(
        `Value ${entry.DelaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
      );
    }
    const systemAttributes = entry.MessageSystemAttributes ? validateMessageAttributes(entry.MessageSystemAttributes) : undefined;
    const now = Date.now();
    return {
      id: randomUUID(),
      body,
      md5Body: md5Hex(body),
      attributes,
      md5Attributes: md5OfMessageAttributes(attributes),
      systemAttributes,
      md5SystemAttributes: systemAttributes ? md5OfMessageAttributes(systemAttributes) : undefined,
      senderId,
      sentAt: now,
      receiveCount: 0,
      visibleAt: now + delay * 1000,
      gen: 0,
      deleted: false,
    };
  }

  SendMessage(input: Input, senderId = "AIDAEMULATOR000000000"): Output {
    const queue = this.queueFor(input);
    const msg = this.buildMessage(queue, input, senderId);
    queue.enqueue(msg);
    this.changed();
    return sendResult(msg);
  }

  SendMessageBatch(input: Input, senderId = "AIDAEMULATOR000000000"): Output {
    const queue = this.queueFor(input);
    const entries = checkBatch(input.Entries);
    let total = 0;
    for (const e of entries) total += Buffer.byteLength(String(e.MessageBody ?? ""));
    if (total > queue.num("MaximumMessageSize")) {
      throw sqsError("BatchRequestTooLong", `Batch requests cannot be longer than ${queue.num("MaximumMessageSize")} bytes.`);
    }
    return this.eachEntry(entries, (entry) => {
      const msg = this.buildMessage(queue, entry, senderId);
      queue.enqueue(msg);
      return sendResult(msg);
    });
  }

  async ReceiveMessage(input: Input): Promise<Output> {
    const queue = this.queueFor(input);
    const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw invalidParameter(
        `Value ${input.MaxNumberOfMessages} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    }
    const visibility = input.VisibilityTimeout === undefined ? queue.num("VisibilityTimeout") : Number(input.VisibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43_200) {
      throw invalidParameter(
        `Value ${input.VisibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
      );
    }
    const wait = input.WaitTimeSeconds === undefined ? queue.num("ReceiveMessageWaitTimeSeconds") : Number(input.WaitTimeSeconds);
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) {
      throw invalidParameter(
        `Value ${input.WaitTimeSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    }
    const take = () => {
      const got = queue.receive(max, visibility, (m) => this.deadLetter(queue, m));
      if (got.length) this.changed();
      return got;
    };
    let messages = take();
    if (messages.length === 0 && wait > 0 && !this.closed) messages = await this.longPoll(queue, take, wait * 1000);
    const systemNames: string[] = [...(input.AttributeNames ?? []), ...(input.MessageSystemAttributeNames ?? [])];
    const attrFilter: string[] = input.MessageAttributeNames ?? [];
    return messages.length ? { Messages: messages.map((m) => renderMessage(m, systemNames, attrFilter)) } : {};
  }

  private longPoll(queue: SqsQueue, take: () => SqsMessage[], waitMs: number): Promise<SqsMessage[]> {
    return new Promise((resolve) => {
      const deadline = Date.now() + waitMs;
      let timer: NodeJS.Timeout | undefined;
      const finish = (msgs: SqsMessage[]) => {
        clearTimeout(timer);
        unregister();
        this.pending.delete(abort);
        resolve(msgs);
      };
      const abort = () => finish([]);
      const attempt = () => {
        if (this.closed || !this.queues.has(queue.name)) return finish([]);
        const got = take();
        if (got.length || Date.now() >= deadline) return finish(got);
        arm();
      };
      const arm = () => {
        clearTimeout(timer);
        const next = queue.nextVisibleAt();
        const at = next === undefined ? deadline : Math.min(deadline, Math.max(next, Date.now() + 1));
        timer = setTimeout(attempt, at - Date.now());
      };
      const unregister = queue.addWaiter(attempt);
      this.pending.add(abort);
      arm();
    });
  }

  private deadLetter(source: SqsQueue, msg: SqsMessage): boolean {
    const target = source.redrive ? this.queues.get(source.redrive.deadLetterTargetArn.split(":").pop() ?? "") : undefined;
    if (!target) return false;
    msg.visibleAt = Date.now();
    msg.receipt = undefined;
    target.enqueue(msg);
    return true;
  }

  private inFlightMessage(queue: SqsQueue, handle: unknown): SqsMessage | undefined {
    if (typeof handle !== "string" || handle === "") throw missingParameter("ReceiptHandle");
    const parsed = parseReceiptHandle(handle);
    if (!parsed) throw sqsError("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid receipt handle.`);
    if (parsed.queue !== queue.name)
      throw sqsError("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid for this queue.`);
    return queue.messages.get(parsed.id);
  }

  /** Runs one batch entry at a time: an AWS error fails only that entry, as SQS reports it. */
  private eachEntry(entries: Input[], run: (entry: Input) => Output | undefined): Output {
    const Successful: Output[] = [];
    const Failed: Output[] = [];
    for (const entry of entries) {
      try {
        Successful.push({ Id: entry.Id, ...(run(entry) ?? {}) });
      } catch (error) {
        Failed.push(failure(entry.Id, error as AwsServiceError));
      }
    }
    if (Successful.length) this.changed();
    return { Successful, Failed };
  }

  DeleteMessage(input: Input): Output {
    const queue = this.queueFor(input);
    const msg = this.inFlightMessage(queue, input.ReceiptHandle);
    // AWS accepts a stale handle of an already-deleted message silently.
    if (msg) {
      queue.remove(msg);
      this.changed();
    }
    return {};
  }

  DeleteMessageBatch(input: Input): Output {
    const queue = this.queueFor(input);
    const entries = checkBatch(input.Entries);
    return this.eachEntry(entries, (entry) => {
      const msg = this.inFlightMessage(queue, entry.ReceiptHandle);
      if (msg) queue.remove(msg);
      return undefined;
    });
  }

  private changeVisibility(queue: SqsQueue, handle: unknown, timeout: unknown): void {
    const seconds = Number(timeout);
    if (timeout === undefined) throw missingParameter("VisibilityTimeout");
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) {
      throw invalidParameter(`Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`);
    }
    const msg = this.inFlightMessage(queue, handle);
    if (!msg || msg.receipt !== handle) {
      throw invalidParameter(
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    if (msg.visibleAt <= Date.now()) throw sqsError("MessageNotInflight", "The message referred to isn't in flight.");
    queue.setVisibility(msg, seconds);
  }

  ChangeMessageVisibility(input: Input): Output {
    const queue = this.queueFor(input);
    this.changeVisibility(queue, input.ReceiptHandle, input.VisibilityTimeout);
    this.changed();
    return {};
  }

  ChangeMessageVisibilityBatch(input: Input): Output {
    const queue = this.queueFor(input);
    return this.eachEntry(checkBatch(input.Entries), (entry) => {
      this.changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout);
      return undefined;
    });
  }

  ListDeadLetterSourceQueues(input: Input): Output {
    const queue = this.queueFor(input);
    const urls = [...this.queues.values()]
      .filter((q) => q.redrive?.deadLetterTargetArn === queue.arn)
      .map((q) => q.url)
      .sort();
    return { queueUrls: urls };
  }

  TagQueue(input: Input): Output {
    const queue = this.queueFor(input);
    Object.assign(queue.tags, input.Tags ?? {});
    this.changed();
    return {};
  }

  UntagQueue(input: Input): Output {
    const queue = this.queueFor(input);
    for (const key of input.TagKeys ?? []) delete queue.tags[key];
    this.changed();
    return {};
  }

  ListQueueTags(input: Input): Output {
    const queue = this.queueFor(input);
    return Object.keys(queue.tags).length ? { Tags: { ...queue.tags } } : {};
  }

  /** Ends pending long polls (they return no messages). */
  close(): void {
    this.closed = true;
    for (const abort of [...this.pending]) abort();
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
      q.tags = s.tags;
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

function sendResult(msg: SqsMessage): Output {
  const out: Output = { MessageId: msg.id, MD5OfMessageBody: msg.md5Body };
  if (msg.md5Attributes) out.MD5OfMessageAttributes = msg.md5Attributes;
  if (msg.md5SystemAttributes) out.MD5OfMessageSystemAttributes = msg.md5SystemAttributes;
  return out;
}

function failure(id: unknown, error: AwsServiceError): Output {
  if (!(error instanceof Error) || !("code" in error)) throw error;
  return { Id: id, Code: error.code, Message: error.message, SenderFault: error.senderFault };
}

function checkBatch(entries: unknown): Input[] {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw sqsError("EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.");
  }
  if (entries.length > 10) {
    throw sqsError("TooManyEntriesInBatchRequest", `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  }
  const ids = new Set<string>();
  for (const e of entries as Input[]) {
    if (typeof e.Id !== "string" || !batchIdPattern.test(e.Id)) {
      throw sqsError(
        "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
      );
    }
    if (ids.has(e.Id)) throw sqsError("BatchEntryIdsNotDistinct", `Id ${e.Id} repeated.`);
    ids.add(e.Id);
  }
  return entries as Input[];
}

function validateMessageAttributes(raw: Record<string, Input>): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  const names = Object.keys(raw);
  if (names.length > 10) throw invalidParameter("Number of message attributes [" + names.length + "] exceeds the allowed maximum [10].");
  for (const name of names) {
    const a = raw[name] ?? {};
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      name.startsWith(".") ||
      name.endsWith(".") ||
      name.includes("..") ||
      /^(aws|amazon)\./i.test(name)
    ) {
      throw invalidParameter(`Message (user) attribute name '${name}' is invalid.`);
    }
    const type = a.DataType;
    if (typeof type !== "string" || !/^(String|Number|Binary)(\..+)?$/.test(type)) {
      throw invalidParameter(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (type.startsWith("Binary")) {
      if (a.BinaryValue === undefined || a.BinaryValue === "")
        throw invalidParameter(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
        );
      out[name] = { DataType: type, BinaryValue: String(a.BinaryValue) };
    } else {
      if (a.StringValue === undefined || a.StringValue === "")
        throw invalidParameter(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
        );
      if (type.startsWith("Number") && !Number.isFinite(Number(a.StringValue))) {
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      out[name] = { DataType: type, StringValue: String(a.StringValue) };
    }
  }
  return out;
}

function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  let n = 0;
  for (const [k, v] of Object.entries(attributes)) {
    n +=
      Buffer.byteLength(k) +
      Buffer.byteLength(v.DataType) +
      (v.BinaryValue ? Buffer.from(v.BinaryValue, "base64").length : Buffer.byteLength(v.StringValue ?? ""));
  }
  return n;
}

function renderMessage(msg: SqsMessage, systemNames: string[], attrFilter: string[]): Output {
  const out: Output = { MessageId: msg.id, ReceiptHandle: msg.receipt, MD5OfBody: msg.md5Body, Body: msg.body };
  if (systemNames.length) {
    const all = systemNames.includes("All");
    const values: Record<string, string> = {
      SenderId: msg.senderId,
      SentTimestamp: String(msg.sentAt),
      ApproximateReceiveCount: String(msg.receiveCount),
      ApproximateFirstReceiveTimestamp: String(msg.firstReceiveAt ?? msg.sentAt),
    };
    const trace = msg.systemAttributes?.AWSTraceHeader?.StringValue;
    if (trace) values.AWSTraceHeader = trace;
    const attrs: Record<string, string> = {};
    for (const name of [...systemAttributeNames, "AWSTraceHeader"]) {
      if ((all || systemNames.includes(name)) && values[name] !== undefined) attrs[name] = values[name];
    }
    if (Object.keys(attrs).length) out.Attributes = attrs;
  }
  if (attrFilter.length && Object.keys(msg.attributes).length) {
    const all = attrFilter.includes("All") || attrFilter.includes(".*");
    const selected: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(msg.attributes)) {
      const match = all || attrFilter.some((f) => f === name || (f.endsWith(".*") && name.startsWith(f.slice(0, -1))));
      if (match) selected[name] = value;
    }
    if (Object.keys(selected).length) {
      out.MessageAttributes = selected;
      out.MD5OfMessageAttributes = md5OfMessageAttributes(selected);
    }
  }
  return out;
}
