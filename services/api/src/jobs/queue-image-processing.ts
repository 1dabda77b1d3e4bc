/**
 * Creates a job for a copied photo and sends it to the image-processing queue.
 * A send failure never fails the caller: the job is left `queue_failed` with the error and
 * the retry sweep sends it later.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { allowedFrom, errorMessage, type JobStatus, serializeImageJobMessage } from "@bluemoxon/core";
import { type ApiDeps, imageQueue } from "../api-deps.ts";
import { type ImageJobRow, loadImageJob } from "./image-job.ts";

export interface QueueableImage {
  id: string;
  bookId: string;
  s3Key: string;
}

/**
 * @example
 * const job = await queueImageProcessing(deps, { id: imageId, bookId, s3Key });
 * job.status; // "queued" or "queue_failed"
 */
export async function queueImageProcessing(
  deps: Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock">,
  image: QueueableImage,
): Promise<ImageJobRow> {
  const [{ id }] = await deps.sql<{ id: string }[]>`
    INSERT INTO image_jobs (image_id, status, created_at, updated_at)
    VALUES (${image.id}, 'pending', ${deps.clock.now()}, ${deps.clock.now()}) RETURNING id`;
  await sendImageJob(deps, { jobId: id, bookId: image.bookId, imageId: image.id, sourceKey: image.s3Key }, "pending");
  return (await loadImageJob(deps.sql, id))!;
}

/**
 * Sends one job's message and records the outcome with a guarded state change.
 * `from` is the state the caller saw: the update only applies if the job is still in it, so a
 * worker that already picked the message up (`processing`) is never pushed back to `queued`.
 * Returns whether the message went out.
 */
export async function sendImageJob(
  deps: Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock">,
  message: { jobId: string; bookId: string; imageId: string; sourceKey: string },
  from: JobStatus,
): Promise<boolean> {
  const log = deps.log.child({ jobId: message.jobId, imageId: message.imageId });
  try {
    const QueueUrl = await deps.queues.url(imageQueue);
    await deps.aws.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: serializeImageJobMessage({ v: 1, ...message }) }));
  } catch (error) {
    const reason = `send failed: ${errorMessage(error)}`.slice(0, 1000);
    await deps.sql`
      UPDATE image_jobs SET status = 'queue_failed', last_error = ${reason}, send_attempts = send_attempts + 1, updated_at = ${deps.clock.now()}
      WHERE id = ${message.jobId} AND status = ${from} AND status IN ${deps.sql(allowedFrom("queue_failed"))}`;
    log.warn("image job could not be queued", { error });
    return false;
  }
  const now = deps.clock.now();
  await deps.sql`
    UPDATE image_jobs SET status = 'queued', last_error = NULL, send_attempts = send_attempts + 1, queued_at = ${now}, updated_at = ${now}
    WHERE id = ${message.jobId} AND status = ${from} AND status IN ${deps.sql(allowedFrom("queued"))}`;
  log.info("image job queued");
  return true;
}
