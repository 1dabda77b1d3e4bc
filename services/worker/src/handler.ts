/**
 * Lambda entry: SQS event → `processJob` per record → `{ batchItemFailures }`.
 *
 * Config, clients and the model are set up at module init (top-level await), so only a cold
 * start pays for loading the model. Records run one after another: inference already uses every
 * core, and sequential processing keeps the logger's `jobId` key unambiguous.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { errorMessage } from "@bluemoxon/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createWorkerRuntime } from "./create-worker-runtime.ts";
import { JobNotReadyError } from "./errors.ts";
import type { JobLog } from "./process-job.ts";
import { createSourceQueues, deferMessage } from "./source-queue.ts";

const runtime = await createWorkerRuntime({ applicationName: "image-worker" });
const logger = new Logger({ serviceName: "image-worker", logLevel: runtime.config.LOG_LEVEL.toUpperCase() as "INFO" });
logger.info("worker ready", { model: runtime.remover.model, environment: runtime.config.PIPELINE_ENV });
const processor = new BatchProcessor(EventType.SQS);
const queues = createSourceQueues(runtime.aws.sqs);

async function recordHandler(record: SQSRecord): Promise<void> {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
  // The queue's URL (for deferring) and maxReceiveCount (for marking a dead-lettered job), once per queue.
  const queue = await queues.lookup(record.eventSourceARN).catch((error: unknown) => {
    logger.warn("could not look up the source queue", { error: errorMessage(error) });
    return undefined;
  });
  try {
    // Resolves for completed, duplicate and permanently failed jobs; rejects → batchItemFailures.
    await runtime.run(
      record.body,
      (ids): JobLog => {
        logger.appendKeys({ ...ids, messageId: record.messageId });
        return {
          info: (message, fields) => logger.info(message, fields ?? {}),
          warn: (message, fields) => logger.warn(message, fields ?? {}),
          error: (message, fields) => logger.error(message, fields ?? {}),
        };
      },
      { receiveCount, maxReceiveCount: queue?.maxReceiveCount },
    );
  } catch (error) {
    if (error instanceof JobNotReadyError) {
      // The message overtook its job row: back in seconds, not after the whole visibility timeout.
      const deferred = queue ? await deferMessage(runtime.aws.sqs, queue.url, record.receiptHandle, error.retryAfterSeconds) : false;
      logger.warn("job not ready; message deferred", { retryAfterSeconds: error.retryAfterSeconds, deferred });
    }
    throw error;
  } finally {
    logger.removeKeys(["jobId", "bookId", "imageId", "messageId"]);
  }
}

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, recordHandler, processor, {
    context,
    processInParallel: false,
    // An all-failed batch is still a normal answer for the event source mapping, not an invocation error.
    throwOnFullBatchFailure: false,
  });
