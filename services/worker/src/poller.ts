/**
 * Poller entry (compose, where LocalStack cannot run container-image Lambdas): the same
 * `processJob` behind sqs-consumer. A message is deleted when the job completes or is rejected for
 * good; a transient error leaves it for SQS to redeliver. SIGTERM/SIGINT stop polling and let the
 * job in progress finish before the process exits.
 */
import { pathToFileURL } from "node:url";
import { type AwsClients, createLogger } from "@bluemoxon/core";
import { Consumer } from "sqs-consumer";
import type { BackgroundRemover } from "./background/background-remover.ts";
import { createWorkerRuntime } from "./create-worker-runtime.ts";
import { JobNotReadyError } from "./errors.ts";
import { createSourceQueues, deferMessage } from "./source-queue.ts";

export interface StartPollerOptions {
  env?: Record<string, string | undefined>;
  /** How long `stop()` waits for the job in progress (ms). */
  drainMs?: number;
  /** A remover to use instead of loading the model (tests). */
  remover?: BackgroundRemover;
  /** AWS clients to use instead of those from the environment (tests). */
  aws?: AwsClients;
}

/**
 * @example
 * const poller = await startPoller(); // reads IMAGE_QUEUE_URL
 * process.once("SIGTERM", () => poller.stop());
 */
export async function startPoller({ env = process.env, drainMs = 120_000, remover, aws }: StartPollerOptions = {}) {
  const runtime = await createWorkerRuntime({ env, remover, aws, applicationName: "image-worker-poller" });
  const log = createLogger({ service: "image-worker", level: runtime.config.LOG_LEVEL });
  const queueUrl = runtime.config.IMAGE_QUEUE_URL;
  if (!queueUrl) {
    await runtime.close();
    throw new Error("IMAGE_QUEUE_URL is required for the poller");
  }
  // maxReceiveCount, so a job failing at its last receive is marked dead-lettered; unknown if the lookup fails.
  const maxReceiveCount = await createSourceQueues(runtime.aws.sqs)
    .lookup(queueUrl)
    .then((q) => q.maxReceiveCount)
    .catch((error: unknown) => {
      log.warn("could not read the queue's redrive policy", { error });
      return undefined;
    });
  const consumer = Consumer.create({
    queueUrl,
    sqs: runtime.aws.sqs,
    batchSize: 1,
    waitTimeSeconds: 20,
    pollingCompleteWaitTimeMs: drainMs,
    messageSystemAttributeNames: ["ApproximateReceiveCount"],
    handleMessage: async (message) => {
      const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
      // Rejections (transient errors, invalid bodies) propagate: sqs-consumer then leaves the message.
      try {
        await runtime.run(message.Body ?? "", (ids) => log.child({ ...ids, messageId: message.MessageId }), {
          receiveCount,
          maxReceiveCount,
        });
      } catch (error) {
        if (error instanceof JobNotReadyError && message.ReceiptHandle) {
          // The message overtook its job row: back in seconds, not after the whole visibility timeout.
          const deferred = await deferMessage(runtime.aws.sqs, queueUrl, message.ReceiptHandle, error.retryAfterSeconds);
          log.warn("job not ready; message deferred", {
            messageId: message.MessageId,
            retryAfterSeconds: error.retryAfterSeconds,
            deferred,
          });
        }
        throw error;
      }
      return message;
    },
  });
  consumer.on("error", (error) => log.error("sqs error", { error }));
  consumer.on("processing_error", (error) => log.warn("message left for redelivery", { error }));
  const stopped = new Promise<void>((resolve) => consumer.once("stopped", () => resolve()));
  consumer.start();
  log.info("poller started", { queueUrl, model: runtime.remover.model });
  return {
    runtime,
    /** Stops polling, waits for the job in progress, then closes the pool and the session. */
    async stop() {
      consumer.stop({ abort: false });
      await stopped;
      await runtime.close();
      log.info("poller stopped");
    },
  };
}

// Run directly (`node --import tsx services/worker/src/poller.ts` or the image's poller command).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const poller = await startPoller();
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    poller.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
