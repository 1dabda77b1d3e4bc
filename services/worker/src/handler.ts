/**
 * Lambda entry: SQS event → `processJob` per record → `{ batchItemFailures }` (see
 * `create-sqs-handler.ts`).
 *
 * Config, clients and the model are set up at module init (top-level await), so only a cold
 * start pays for loading the model. Logs go through core's logger (redaction included), like
 * every other process.
 */
import { createLogger } from "@bluemoxon/core";
import { createSqsHandler } from "./create-sqs-handler.ts";
import { createWorkerRuntime } from "./create-worker-runtime.ts";

const runtime = await createWorkerRuntime({ applicationName: "image-worker" });
const logger = createLogger({ service: "image-worker", level: runtime.config.LOG_LEVEL });
logger.info("worker ready", { model: runtime.remover.model, environment: runtime.config.PIPELINE_ENV });

export const handler = createSqsHandler(runtime, logger, { recordBudgetMs: runtime.config.RECORD_TIME_BUDGET_MS });
