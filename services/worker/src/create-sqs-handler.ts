/**
 * The Lambda SQS handler around a worker runtime: `processJob` per record → `{ batchItemFailures }`.
 *
 * Records run one after another: inference already uses every core. Each record logs through a
 * child logger carrying its `messageId` and, once known, the job's ids.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { errorMessage, type Logger } from "@bluemoxon/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { WorkerRuntime } from "./create-worker-runtime.ts";
import { JobNotReadyError, RecordNotStartedError } from "./errors.ts";
import type { JobLog } from "./process-job.ts";
import { createSourceQueues, deferMessage } from "./source-queue.ts";

export type SqsHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export interface SqsHandlerOptions {
  /**
   * A record starts only while the invocation has at least this many milliseconds left; the
   * others are reported failed without running and made visible again at once.
   */
  recordBudgetMs?: number;
  /**
   * Kept back from a started record's background removal for the S3 write and the database after
   * it: removal is stopped at (time left − this), so one slow photo fails alone instead of the
   * function timeout failing the whole invocation.
   */
  reserveMs?: number;
}

/**
 * @example
 * export const handler = createSqsHandler(await createWorkerRuntime(), new Logger({ serviceName: "image-worker" }));
 */
export function createSqsHandler(
  runtime: Pick<WorkerRuntime, "aws" | "run" | "markDeadLettered">,
  logger: Logger,
  { recordBudgetMs = 20_000, reserveMs = 10_000 }: SqsHandlerOptions = {},
): SqsHandler {
  const processor = new BatchProcessor(EventType.SQS);
  const queues = createSourceQueues(runtime.aws.sqs);

  async function recordHandler(record: SQSRecord, context: Context | undefined): Promise<void> {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    // The queue's URL (for deferring) and maxReceiveCount (for marking a dead-lettered job), once per queue.
    const queue = await queues.lookup(record.eventSourceARN).catch((error: unknown) => {
      logger.warn("could not look up the source queue", { error: errorMessage(error) });
      return undefined;
    });
    const left = context?.getRemainingTimeInMillis();
    if (left !== undefined && left < recordBudgetMs) {
      // Not started: it would run into the function timeout and fail the whole invocation.
      const why = `not started: the invocation had ${left} ms left, a record may need ${recordBudgetMs} ms`;
      if (queue) await deferMessage(runtime.aws.sqs, queue.url, record.receiptHandle, 0);
      if (queue?.maxReceiveCount !== undefined && receiveCount >= queue.maxReceiveCount) {
        // Its last receive: SQS moves it to the DLQ next, so the job must say so.
        await runtime
          .markDeadLettered(record.body, `dead-lettered after ${receiveCount} receives: ${why}`)
          .catch((error: unknown) => logger.error("could not mark the job dead-lettered", { error: errorMessage(error) }));
      }
      logger.warn("record not started", { messageId: record.messageId, remainingMs: left, recordBudgetMs, receiveCount });
      throw new RecordNotStartedError(why);
    }
    // The record's logger; gains the job's ids once the message names them.
    let recordLog: Logger = logger.child({ messageId: record.messageId });
    try {
      // Resolves for completed, duplicate and permanently failed jobs; rejects → batchItemFailures.
      await runtime.run(
        record.body,
        (ids): JobLog => {
          recordLog = logger.child({ ...ids, messageId: record.messageId });
          return recordLog;
        },
        {
          receiveCount,
          maxReceiveCount: queue?.maxReceiveCount,
          timeoutMs: left === undefined ? undefined : Math.max(1, left - reserveMs),
        },
      );
    } catch (error) {
      if (error instanceof JobNotReadyError) {
        // The message overtook its job row: back in seconds, not after the whole visibility timeout.
        const deferred = queue ? await deferMessage(runtime.aws.sqs, queue.url, record.receiptHandle, error.retryAfterSeconds) : false;
        recordLog.warn("job not ready; message deferred", { retryAfterSeconds: error.retryAfterSeconds, deferred });
      }
      throw error;
    }
  }

  return (event, context) =>
    processPartialResponse(event, (record: SQSRecord) => recordHandler(record, context), processor, {
      context,
      processInParallel: false,
      // An all-failed batch is still a normal answer for the event source mapping, not an invocation error.
      throwOnFullBatchFailure: false,
    });
}
