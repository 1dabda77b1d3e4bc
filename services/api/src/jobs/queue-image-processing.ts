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
 * job?.status; // "queued" or "queue_failed"; undefined when the photo already has an active job
 */
export async function queueImageProcessing(
  deps: Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock">,
  image: QueueableImage,
): Promise<ImageJobRow | undefined> {
  const [created] = await deps.sql<{ id: string }[]>`
    INSERT INTO image_jobs (image_id, status, created_at, updated_at)
    VALUES (${image.id}, 'pending', ${deps.clock.now()}, ${deps.clock.now()})
    ON CONFLICT (image_id) WHERE status IN ('pending', 'queued', 'queue_failed', 'processing') DO NOTHING
    RETURNING id`;
  if (!created) return undefined;
  const { id } = created;
  await sendImageJob(deps, { jobId: id, bookId: image.bookId, imageId: image.id, sourceKey: image.s3Key }, "pending");
  return (await loadImageJob(deps.sql, id))!;
}

/**
 * Sends one job's message and records the outcome with a compare-and-set on the state and version
 * the caller saw (`from`, and `attempts` — bumped by every worker claim): the update only applies
 * if the job is still as seen, so a worker that claimed it meanwhile is never overwritten. A job
 * re-sent while `processing` (the sweep's stale job) stays `processing`: the last claim is still
 * the truth until a worker claims it again. Returns whether the message went out.
 */
export async function sendImageJob(
  deps: Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock">,
  message: { jobId: string; bookId: string; imageId: string; sourceKey: string },
  from: JobStatus,
  attempts = 0,
): Promise<boolean> {
  const log = deps.log.child({ jobId: message.jobId, imageId: message.imageId });
  const { sql } = deps;
  let sent = true;
  let reason: string | null = null;
  try {
    const QueueUrl = await deps.queues.url(imageQueue);
    await deps.aws.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: serializeImageJobMessage({ v: 1, ...message }) }));
  } catch (error) {
    sent = false;
    reason = `send failed: ${errorMessage(error)}`.slice(0, 1000);
    log.warn("image job could not be queued", { error });
  }
  const now = deps.clock.now();
  const to: JobStatus = !sent ? (from === "processing" ? "processing" : "queue_failed") : from === "processing" ? "processing" : "queued";
  const recorded = await sql`
    UPDATE image_jobs SET status = ${to}, send_attempts = send_attempts + 1, updated_at = ${now}
      ${to === "queued" ? sql`, queued_at = ${now}` : sql``}
      ${sent && to === "processing" ? sql`` : sql`, last_error = ${reason}`}
    WHERE id = ${message.jobId} AND status = ${from} AND attempts = ${attempts} AND status IN ${sql(allowedFrom(to))}
    RETURNING id`;
  if (recorded.length === 0) {
    // Not an error: a worker claimed the job (its message proves the send) or it finished. The
    // send still counts: send_attempts is how many messages went out, whatever the state.
    if (sent) await sql`UPDATE image_jobs SET send_attempts = send_attempts + 1 WHERE id = ${message.jobId}`;
    const [row] = await sql<{ status: string; attempts: number }[]>`SELECT status, attempts FROM image_jobs WHERE id = ${message.jobId}`;
    log.info("image job moved on before its send was recorded", {
      sent,
      from,
      attempts,
      status: row?.status,
      latestAttempt: row?.attempts,
    });
  } else if (sent) log.info("image job queued", { from });
  return sent;
}
