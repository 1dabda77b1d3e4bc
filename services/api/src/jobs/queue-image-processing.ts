/**
 * Creates a job and sends it to the image-processing queue — the one way the API starts a job, for
 * an import (the book's first copied photo) and for a person's (re)process request (one photo).
 * A send failure never fails the caller: the job is left `queue_failed` with the error and the
 * retry sweep sends it later. The writes are the lifecycle module's (`@bluemoxon/core` image-jobs).
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import {
  type CreateJobTarget,
  createJob,
  errorMessage,
  type JobRow,
  type JobVersion,
  loadJob,
  recordSend,
  serializeImageJobMessage,
} from "@bluemoxon/core";
import { type ApiDeps, imageQueue } from "../api-deps.ts";

type Deps = Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock">;

/**
 * @example
 * const job = await queueImageProcessing(deps, { imageId });
 * job?.status; // "queued" or "queue_failed"; undefined when no job was created (an active one exists, or the book has one)
 */
export async function queueImageProcessing(deps: Deps, target: CreateJobTarget): Promise<JobRow | undefined> {
  const created = await createJob(deps.sql, target, deps.clock.now());
  if (!created) return undefined;
  await sendImageJob(deps, created, { jobId: created.id, status: created.status, version: created.version });
  return (await loadJob(deps.sql, created.id))!;
}

/**
 * Sends one job's message and records the outcome against the state and version the caller read
 * (`from`): a worker that claimed the job meanwhile is never overwritten. Returns whether the
 * message went out.
 */
export async function sendImageJob(
  deps: Deps,
  job: Pick<JobRow, "id" | "image_id" | "book_id" | "s3_key">,
  from: JobVersion,
): Promise<boolean> {
  const log = deps.log.child({ jobId: job.id, imageId: job.image_id });
  let outcome: { sent: true } | { sent: false; error: string } = { sent: true };
  try {
    const QueueUrl = await deps.queues.url(imageQueue);
    const MessageBody = serializeImageJobMessage({
      v: 1,
      jobId: job.id,
      bookId: job.book_id,
      imageId: job.image_id,
      sourceKey: job.s3_key!,
    });
    await deps.aws.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }));
  } catch (error) {
    outcome = { sent: false, error: errorMessage(error) };
    log.warn("image job could not be queued", { error });
  }
  const applied = await recordSend(deps.sql, from, outcome, deps.clock.now());
  // Not an error: a worker claimed the job (its message proves the send) or it finished.
  if (!applied) log.info("image job moved on before its send was recorded", { sent: outcome.sent, from: from.status });
  else if (outcome.sent) log.info("image job queued", { from: from.status });
  return outcome.sent;
}
