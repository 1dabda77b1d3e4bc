/**
 * Lambda entry: SQS event → `processJob` per record → `{ batchItemFailures }`.
 *
 * Config, clients and the model are set up at module init (top-level await), so only a cold
 * start pays for loading the model. Records run one after another: inference already uses every
 * core. Logs go through core's logger (redaction included), like every other process.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { createLogger } from "@bluemoxon/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createWorkerRuntime } from "./create-worker-runtime.ts";
import type { JobLog } from "./process-job.ts";

const runtime = await createWorkerRuntime({ applicationName: "image-worker" });
const logger = createLogger({ service: "image-worker", level: runtime.config.LOG_LEVEL });
logger.info("worker ready", { model: runtime.remover.model, environment: runtime.config.PIPELINE_ENV });
const processor = new BatchProcessor(EventType.SQS);

async function recordHandler(record: SQSRecord): Promise<void> {
  // Resolves for completed, duplicate and permanently failed jobs; rejects → batchItemFailures.
  await runtime.run(record.body, (ids): JobLog => logger.child({ ...ids, messageId: record.messageId }));
}

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, recordHandler, processor, {
    context,
    processInParallel: false,
    // An all-failed batch is still a normal answer for the event source mapping, not an invocation error.
    throwOnFullBatchFailure: false,
  });
