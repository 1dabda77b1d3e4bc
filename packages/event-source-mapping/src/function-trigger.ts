/**
 * The event source mapping of one function: long-polls its queue, gathers batches
 * (`batchSize` within `maximumBatchingWindowSeconds`), runs at most `maximumConcurrency`
 * of them at once — one warm execution environment per concurrency slot (`WarmPool`) — and
 * deletes what the handler finished. What it keeps becomes visible again after the queue's visibility
 * timeout; moving a message to the DLQ after `maxReceiveCount` is the queue's job.
 */
import { randomUUID } from "node:crypto";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { FunctionSpec, Logger, ResourceNames } from "@bluemoxon/core";
import { errorMessage } from "@bluemoxon/core";
import { batchOutcome } from "./batch-outcome.ts";
import { InvocationError, TriggerStartError } from "./errors.ts";
import type { ExecutionEnvironment } from "./execution-environment.ts";
import { type FunctionIdentity, invocationContext } from "./invocation-context.ts";
import { toSqsEvent } from "./to-sqs-event.ts";
import { type Slot, WarmPool } from "./warm-pool.ts";

export interface FunctionTriggerOptions {
  /** Logical name from `manifest.functions`. */
  name: string;
  spec: FunctionSpec;
  sqs: SQSClient;
  names: ResourceNames;
  endpoint: string;
  region: string;
  /** A new execution environment for a slot (a child process, or one that called the Runtime API). */
  startEnvironment: () => Promise<ExecutionEnvironment>;
  timeoutMs: number;
  /**
   * Get each slot's environment before receiving for it (the Runtime API: no record is taken
   * off the queue until a runtime is there to run it), and what `stop()` calls first to end that wait.
   */
  prewarm?: { interrupt(): void };
  /** Long-poll wait of an idle poller (Lambda uses 20 s). */
  waitTimeSeconds: number;
  log: Logger;
}

export interface FunctionTriggerStats {
  queueUrl: string;
  queueArn: string;
  invocations: number;
  succeeded: number;
  partial: number;
  /** Thrown errors, malformed answers and failed inits. */
  failed: number;
  crashed: number;
  timedOut: number;
  recordsReceived: number;
  recordsDeleted: number;
  recordsKept: number;
  running: number;
  maxRunning: number;
  childrenStarted: number;
}

type Outcome = "success" | "partial" | "malformed" | "error" | "crash" | "timeout";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FunctionTrigger {
  private readonly pool: WarmPool;
  private readonly inflight = new Set<Promise<void>>();
  private running = false;
  private loop?: Promise<void>;
  private receiveAbort?: AbortController;
  private readonly physicalName: string;
  private readonly log: Logger;
  readonly stats: FunctionTriggerStats = {
    queueUrl: "",
    queueArn: "",
    invocations: 0,
    succeeded: 0,
    partial: 0,
    failed: 0,
    crashed: 0,
    timedOut: 0,
    recordsReceived: 0,
    recordsDeleted: 0,
    recordsKept: 0,
    running: 0,
    maxRunning: 0,
    childrenStarted: 0,
  };

  constructor(private readonly o: FunctionTriggerOptions) {
    this.pool = new WarmPool(o.spec.maximumConcurrency, o.startEnvironment);
    this.physicalName = o.names.function(o.name);
    this.log = o.log.child({ function: o.name });
  }

  /** Resolves the queue, then polls in the background until `stop()`. */
  async start(): Promise<void> {
    const { url, arn } = await this.resolveQueue();
    this.stats.queueUrl = url;
    this.stats.queueArn = arn;
    this.running = true;
    this.loop = this.pollLoop();
    this.log.info("trigger started", {
      queueUrl: url,
      batchSize: this.o.spec.batchSize,
      maximumBatchingWindowSeconds: this.o.spec.maximumBatchingWindowSeconds,
      maximumConcurrency: this.o.spec.maximumConcurrency,
      timeoutMs: this.o.timeoutMs,
    });
  }

  /**
   * A Lambda event source mapping knows its queue by ARN and its role needs only
   * GetQueueAttributes/ReceiveMessage/DeleteMessage; so try the URL the ARN implies first and
   * fall back to GetQueueUrl for backends that lay out URLs differently.
   */
  private async resolveQueue(): Promise<{ url: string; arn: string }> {
    const queueName = this.o.names.queue(this.o.spec.queue);
    const arnOf = async (url: string) => {
      const res = await this.o.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
      const arn = res.Attributes?.QueueArn;
      if (!arn?.endsWith(`:${queueName}`)) throw new Error(`queue at ${url} reports ARN ${arn}`);
      return arn;
    };
    const implied = `${this.o.endpoint.replace(/\/+$/, "")}/${this.o.names.accountId}/${queueName}`;
    try {
      return { url: implied, arn: await arnOf(implied) };
    } catch {
      // fall through to the lookup by name
    }
    try {
      const { QueueUrl } = await this.o.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      if (!QueueUrl) throw new Error("GetQueueUrl returned no QueueUrl");
      return { url: QueueUrl, arn: await arnOf(QueueUrl) };
    } catch (error) {
      throw new TriggerStartError(
        `function "${this.o.name}": cannot resolve queue "${queueName}" at ${this.o.endpoint}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  private async pollLoop(): Promise<void> {
    let backoffMs = 0;
    while (this.running) {
      const slot = await this.pool.idle();
      if (!slot) break;
      if (this.o.prewarm) {
        try {
          // An environment started ahead of its first batch counts as one started, as at a batch.
          if ((await this.pool.environment(slot)).started) this.stats.childrenStarted++;
        } catch (error) {
          if (!this.running) break;
          // An init error: the runtime's container starts it again; wait for the next one.
          backoffMs = Math.min(10_000, backoffMs ? backoffMs * 2 : 250);
          this.log.warn("no execution environment; waiting for one", { error: errorMessage(error), retryInMs: backoffMs });
          await sleep(backoffMs);
          continue;
        }
      }
      let messages: Message[];
      try {
        messages = await this.gather();
        backoffMs = 0;
      } catch (error) {
        if (!this.running) break;
        backoffMs = Math.min(10_000, backoffMs ? backoffMs * 2 : 250);
        this.log.warn("receive failed; retrying", { error: errorMessage(error), retryInMs: backoffMs });
        await sleep(backoffMs);
        continue;
      }
      if (messages.length === 0) continue;
      this.stats.recordsReceived += messages.length;
      this.pool.take(slot);
      this.stats.running++;
      this.stats.maxRunning = Math.max(this.stats.maxRunning, this.stats.running);
      const task = this.runBatch(slot, messages).finally(() => {
        this.stats.running--;
        this.inflight.delete(task);
        this.pool.release(slot);
      });
      this.inflight.add(task);
    }
  }

  /** Fills one batch: up to `batchSize` records, waiting at most the batching window after the first. */
  private async gather(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.o.spec;
    const windowMs = maximumBatchingWindowSeconds * 1000;
    const batch: Message[] = [];
    let deadline: number | undefined;
    while (this.running && batch.length < batchSize) {
      let waitSeconds = this.o.waitTimeSeconds;
      if (deadline !== undefined) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        // ReceiveMessage waits whole seconds; under one second left, short-poll and nap instead.
        waitSeconds = Math.min(20, Math.floor(remaining / 1000));
      }
      const received = await this.receive(Math.min(10, batchSize - batch.length), waitSeconds);
      for (const message of received) {
        // A record held past its visibility timeout while the window is open comes back with a
        // new receipt handle; only the newest handle can delete it, so keep that one.
        const seen = batch.findIndex((m) => m.MessageId === message.MessageId);
        if (seen >= 0) batch[seen] = message;
        else batch.push(message);
      }
      if (batch.length > 0 && deadline === undefined) {
        if (windowMs === 0) break;
        deadline = Date.now() + windowMs;
      }
      if (received.length === 0 && waitSeconds === 0) {
        await sleep(deadline === undefined ? 200 : Math.min(100, Math.max(0, deadline - Date.now())));
      }
    }
    return batch;
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    this.receiveAbort = new AbortController();
    try {
      const res = await this.o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.stats.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ["All"],
          // Older backends (moto, LocalStack) still read the deprecated name.
          AttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
        { abortSignal: this.receiveAbort.signal },
      );
      return res.Messages ?? [];
    } finally {
      this.receiveAbort = undefined;
    }
  }

  private async runBatch(slot: Slot, messages: Message[]): Promise<void> {
    const started = Date.now();
    const requestId = randomUUID();
    const ids = messages.map((m) => m.MessageId ?? "");
    const event = toSqsEvent(messages, { queueArn: this.stats.queueArn, region: this.o.region, accountId: this.o.names.accountId });
    let outcome: Outcome;
    let keep: string[];
    let detail: string | undefined;
    this.stats.invocations++;
    try {
      const { env, started } = await this.pool.environment(slot);
      if (started) this.stats.childrenStarted++;
      const value = await env.invoke(event, this.context(requestId), this.o.timeoutMs);
      const result = batchOutcome(value, ids);
      outcome = result.kind;
      keep = result.keep;
      if (result.kind === "malformed") detail = result.reason;
    } catch (error) {
      outcome = error instanceof InvocationError ? error.kind : "error";
      keep = ids;
      detail = errorMessage(error);
    }
    if (outcome === "crash" || outcome === "timeout") this.pool.discard(slot);
    this.count(outcome);
    const kept = new Set(keep);
    const done = messages.filter((m) => !kept.has(m.MessageId ?? ""));
    const deleted = await this.deleteMessages(done);
    this.stats.recordsDeleted += deleted;
    this.stats.recordsKept += keep.length;
    const fields = {
      requestId,
      batchSize: messages.length,
      outcome,
      ms: Date.now() - started,
      // Which records it ran: `npm run logs -- --job` joins the handler's lines (messageId) to this one.
      messageIds: ids,
      deleted,
      kept: keep.length,
      // Which records come back (visibility timeout) or go on to the DLQ: a person reading the log asks that first.
      ...(keep.length ? { keptMessageIds: keep } : {}),
      error: detail,
    };
    if (outcome === "success" || outcome === "partial") this.log.info("invocation", fields);
    else this.log.warn("invocation failed; batch kept for retry", fields);
  }

  private count(outcome: Outcome): void {
    if (outcome === "success") this.stats.succeeded++;
    else if (outcome === "partial") this.stats.partial++;
    else if (outcome === "crash") this.stats.crashed++;
    else if (outcome === "timeout") this.stats.timedOut++;
    else this.stats.failed++;
  }

  private context(requestId: string) {
    return invocationContext(this.identity(), requestId, this.o.timeoutMs);
  }

  identity(): FunctionIdentity {
    return { physicalName: this.physicalName, region: this.o.region, accountId: this.o.names.accountId, memoryMb: this.o.spec.memoryMb };
  }

  /** Deletes in batches of ten; a failed delete only means the record is processed again. */
  private async deleteMessages(messages: Message[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      try {
        const res = await this.o.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.stats.queueUrl,
            Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        deleted += res.Successful?.length ?? 0;
        if (res.Failed?.length)
          this.log.warn("delete failed for some records", { failed: res.Failed.map((f) => `${f.Code}: ${f.Message}`) });
      } catch (error) {
        this.log.warn("delete failed", { error: errorMessage(error), records: chunk.length });
      }
    }
    return deleted;
  }

  /**
   * The handler's code changed: from now on every batch runs in a child started after this call.
   * A running batch finishes in its old child; idle children are stopped now. Returns how many.
   */
  recycle(): number {
    return this.pool.recycle();
  }

  childPids(): number[] {
    return this.pool.pids();
  }

  /** Stops polling, lets running batches finish for up to `graceMs`, then kills every child. */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    this.receiveAbort?.abort();
    this.o.prewarm?.interrupt();
    this.pool.close();
    await this.loop?.catch(() => undefined);
    if (this.inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inflight]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    const killed = this.pool.killAll();
    await Promise.allSettled([...this.inflight]);
    await killed;
    this.log.info("trigger stopped", { invocations: this.stats.invocations });
  }
}
