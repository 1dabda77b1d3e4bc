/**
 * One standard SQS queue. Messages sit in a min-heap keyed by the time they become visible
 * (delayed and in-flight ones later), so a receive pops only what it returns. Entries are lazy:
 * a message that is deleted or whose visibility changed leaves a stale entry, recognised by
 * its generation number and dropped when it reaches the top.
 */
import { randomBytes } from "node:crypto";
import { wireRecord } from "../wire-record.ts";
import { FifoGroups } from "./fifo-groups.ts";
import type { MessageAttributeValue } from "./message-attributes-md5.ts";
import { MinHeap } from "./min-heap.ts";

export interface SqsMessage {
  id: string;
  body: string;
  md5Body: string;
  attributes: Record<string, MessageAttributeValue>;
  md5Attributes?: string;
  systemAttributes?: Record<string, MessageAttributeValue>;
  md5SystemAttributes?: string;
  senderId: string;
  sentAt: number;
  firstReceiveAt?: number;
  receiveCount: number;
  visibleAt: number;
  gen: number;
  deleted: boolean;
  receipt?: string;
  /** FIFO queues (MessageGroupId is also kept for standard queues, which report it back). */
  groupId?: string;
  deduplicationId?: string;
  sequenceNumber?: string;
}

interface HeapEntry {
  at: number;
  seq: number;
  gen: number;
  msg: SqsMessage;
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

let seqCounter = 0;

export class SqsQueue {
  readonly messages = new Map<string, SqsMessage>();
  private readonly heap = new MinHeap<HeapEntry>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private readonly waiters = new Set<() => void>();
  attributes: Record<string, string>;
  tags: Record<string, string> = wireRecord();
  redrive: RedrivePolicy | undefined;
  lastModified: number;
  /** Set for FIFO queues, which deliver by message group instead of by visibility time. */
  readonly fifo: FifoGroups | undefined;
  /** FIFO deduplication: key → when it was first sent and what SendMessage returned then. */
  readonly sentDeduplicationIds = new Map<string, { at: number; msg: SqsMessage }>();

  constructor(
    readonly name: string,
    readonly url: string,
    readonly arn: string,
    attributes: Record<string, string>,
    readonly createdAt = Date.now(),
  ) {
    this.attributes = attributes;
    this.lastModified = createdAt;
    this.redrive = parseRedrive(attributes.RedrivePolicy);
    this.fifo = attributes.FifoQueue === "true" ? new FifoGroups() : undefined;
  }

  setAttributes(attributes: Record<string, string>): void {
    this.attributes = { ...this.attributes, ...attributes };
    for (const [k, v] of Object.entries(attributes)) if (v === "") delete this.attributes[k];
    this.redrive = parseRedrive(this.attributes.RedrivePolicy);
    this.lastModified = Date.now();
  }

  num(name: string): number {
    return Number(this.attributes[name] ?? 0);
  }

  /** Adds a message (new, restored or dead-lettered) and wakes long pollers. */
  enqueue(msg: SqsMessage): void {
    this.messages.set(msg.id, msg);
    this.fifo?.add(msg);
    this.schedule(msg);
    if (msg.visibleAt <= Date.now()) this.notify();
  }

  private schedule(msg: SqsMessage): void {
    if (this.fifo) return;
    this.heap.push({ at: msg.visibleAt, seq: ++seqCounter, gen: msg.gen, msg });
  }

  remove(msg: SqsMessage): void {
    msg.deleted = true;
    this.messages.delete(msg.id);
    if (this.fifo) {
      this.fifo.remove(msg);
      // Deleting the message that held a group lets the group's next one be delivered.
      this.notify();
    }
  }

  purge(): void {
    for (const m of this.messages.values()) m.deleted = true;
    this.messages.clear();
    this.heap.clear();
    this.fifo?.clear();
  }

  /** Changes when an in-flight message becomes visible again. */
  setVisibility(msg: SqsMessage, seconds: number): void {
    msg.gen++;
    msg.visibleAt = Date.now() + seconds * 1000;
    this.schedule(msg);
    if (seconds === 0) this.notify();
  }

  private topEntry(): HeapEntry | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (!top) return undefined;
      if (top.msg.deleted || top.gen !== top.msg.gen) {
        this.heap.pop();
        continue;
      }
      return top;
    }
  }

  /** When the next hidden message becomes visible (for long-poll timers). */
  nextVisibleAt(): number | undefined {
    if (this.fifo) return this.fifo.nextVisibleAt(Date.now());
    return this.topEntry()?.at;
  }

  /**
   * Takes up to `max` visible messages and makes them in-flight for `visibilitySeconds`.
   * `deadLetter` is called for a message received more than maxReceiveCount times; it returns
   * false when the DLQ does not exist, and the message is then delivered as usual.
   */
  receive(max: number, visibilitySeconds: number, deadLetter: (msg: SqsMessage) => boolean): SqsMessage[] {
    const now = Date.now();
    const retentionMs = this.num("MessageRetentionPeriod") * 1000;
    if (this.fifo) {
      return this.fifo.receive(max, now, (msg) => {
        if (msg.sentAt + retentionMs <= now) {
          this.remove(msg);
          return false;
        }
        if (this.redrive && msg.receiveCount >= this.redrive.maxReceiveCount) {
          this.remove(msg);
          msg.deleted = false;
          msg.gen++;
          if (deadLetter(msg)) return false;
          this.enqueue(msg);
        }
        this.deliver(msg, now, visibilitySeconds);
        return true;
      });
    }
    const out: SqsMessage[] = [];
    while (out.length < max) {
      const top = this.topEntry();
      if (!top || top.at > now) break;
      this.heap.pop();
      const msg = top.msg;
      if (msg.sentAt + retentionMs <= now) {
        this.remove(msg);
        continue;
      }
      if (this.redrive && msg.receiveCount >= this.redrive.maxReceiveCount) {
        this.messages.delete(msg.id);
        msg.gen++;
        if (deadLetter(msg)) continue;
        this.messages.set(msg.id, msg);
      }
      this.deliver(msg, now, visibilitySeconds);
      out.push(msg);
    }
    // Scheduled after the loop so a zero visibility timeout cannot return a message twice in one receive.
    for (const msg of out) this.schedule(msg);
    return out;
  }

  private deliver(msg: SqsMessage, now: number, visibilitySeconds: number): void {
    msg.receiveCount++;
    msg.firstReceiveAt ??= now;
    msg.gen++;
    msg.visibleAt = now + visibilitySeconds * 1000;
    msg.receipt = newReceiptHandle(this.name, msg.id);
  }

  counts(): { visible: number; inFlight: number; delayed: number } {
    const now = Date.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount > 0) inFlight++;
      else delayed++;
    }
    return { visible, inFlight, delayed };
  }

  /** Long-poll registration; the callback runs when a message may be available. */
  addWaiter(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

export function newReceiptHandle(queue: string, id: string): string {
  return Buffer.from(`${queue}\u0001${id}\u0001${randomBytes(12).toString("hex")}`).toString("base64url");
}

/** `{ queue, id }` of a receipt handle, or undefined when it is not one of ours. */
export function parseReceiptHandle(handle: string): { queue: string; id: string } | undefined {
  if (!/^[A-Za-z0-9_-]{10,}$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, "base64url").toString("utf8").split("\u0001");
  if (parts.length !== 3 || !parts[0] || !parts[1]) return undefined;
  return { queue: parts[0], id: parts[1] };
}

export function parseRedrive(value: string | undefined): RedrivePolicy | undefined {
  if (!value) return undefined;
  const parsed = JSON.parse(value) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
  return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount: Number(parsed.maxReceiveCount) };
}
