/**
 * The retry sweep: moves on what the pipeline would otherwise leave behind, without ever sending a
 * job whose message may still be queued or in flight (SQS redelivers those by itself).
 *
 * - The DLQ first: every job whose message reached it is marked failed (dead-lettered) once, by a
 *   compare-and-set on what was read; copies of a job that finished or was superseded are deleted.
 *   The messages stay for a redrive or a person.
 * - `queue_failed` jobs (a send failed) are re-sent once their backoff (base × 2^(send attempts − 1),
 *   capped) has passed; after `JOB_MAX_SEND_ATTEMPTS` failed sends the job fails. A `queued` job waiting
 *   in a backlog is never counted as a failed send.
 * - `pending` jobs untouched for `JOB_STALE_SECONDS` were never sent (an API lost between creating and
 *   sending): sent.
 * - `processing` jobs claimed at their message's last receive (`final_receive`) and untouched for
 *   `JOB_STALE_SECONDS`: their worker was lost, SQS has moved the message to the DLQ → failed.
 * - `queued`/`processing` jobs untouched for longer than the queue keeps a message: their message is
 *   gone → re-sent.
 * - Photo copies that failed transiently are copied again once their backoff has passed, and a book
 *   whose first photo copied that way gets its job.
 *
 * Picks use `FOR UPDATE SKIP LOCKED`, so two sweeps never take the same job. The same function runs
 * from the local interval, the scheduled Lambda event and `POST /api/v1/admin/image-jobs/retry`.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { copiesDue, errorMessage, failJob, markDeadLettered, pickJobsForSweep } from "@bluemoxon/core";
import { type ApiDeps, imageQueue } from "../api-deps.ts";
import { copyPhoto } from "../import/copy-photo.ts";
import { queueImageProcessing, sendImageJob } from "./queue-image-processing.ts";
import { reconcileDeadLetters } from "./reconcile-dead-letters.ts";

export interface RetrySweepResult {
  examined: number;
  requeued: number;
  stillFailing: number;
  gaveUp: number;
  /** Jobs marked dead-lettered: their message is in the DLQ (seen there, or lost at its last receive). */
  deadLettered: number;
  /** Photo copies tried again, and how many of them copied. */
  copiesRetried: number;
  copiesCopied: number;
}

type Deps = Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock" | "config" | "bucket">;

/** How long the queue keeps a message (MessageRetentionPeriod); undefined when SQS cannot say. */
async function messageRetentionSeconds(deps: Deps): Promise<number | undefined> {
  try {
    const QueueUrl = await deps.queues.url(imageQueue);
    const out = await deps.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["MessageRetentionPeriod"] }));
    const seconds = Number(out.Attributes?.MessageRetentionPeriod);
    return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
  } catch (error) {
    deps.log.warn("retry sweep: the queue's retention is unknown; queued jobs are not re-sent this time", { error: errorMessage(error) });
    return undefined;
  }
}

/**
 * @example
 * const { requeued } = await runRetrySweep(deps);
 */
export async function runRetrySweep(
  deps: Deps,
  { limit = deps.config.RETRY_SWEEP_BATCH }: { limit?: number } = {},
): Promise<RetrySweepResult> {
  const { sql, config } = deps;
  const now = deps.clock.now();
  const result: RetrySweepResult = {
    examined: 0,
    requeued: 0,
    stillFailing: 0,
    gaveUp: 0,
    deadLettered: 0,
    copiesRetried: 0,
    copiesCopied: 0,
  };

  const dlq = await reconcileDeadLetters(deps, { max: limit }).catch((error: unknown) => {
    deps.log.warn("retry sweep: the DLQ could not be read; jobs that may be dead-lettered are not re-sent", { error: errorMessage(error) });
    return undefined;
  });
  result.deadLettered += dlq?.deadLettered ?? 0;

  const picked = await pickJobsForSweep(sql, {
    now,
    backoffSeconds: config.RETRY_BACKOFF_SECONDS,
    backoffMaxSeconds: config.RETRY_BACKOFF_MAX_SECONDS,
    staleSeconds: config.JOB_STALE_SECONDS,
    // Without a reading of the DLQ, a job whose message may be in it is not re-sent.
    messageRetentionSeconds: dlq ? await messageRetentionSeconds(deps) : undefined,
    limit,
  });
  result.examined = picked.length;
  for (const job of picked) {
    const from = { jobId: job.id, status: job.status, version: job.version };
    if (job.status === "processing" && job.final_receive && !dlq?.seen.has(job.id)) {
      const why = `dead-lettered after its last receive: no outcome from the worker within ${config.JOB_STALE_SECONDS} s (lost: killed or timed out)`;
      if (await markDeadLettered(sql, from, why, now)) {
        result.deadLettered++;
        deps.log.warn("retry sweep: job lost at its last receive, marked dead-lettered", { jobId: job.id, attempts: job.attempts });
      } else deps.log.warn("retry sweep lost the race: the job moved on before it was marked dead-lettered", { jobId: job.id });
      continue;
    }
    if (dlq?.seen.has(job.id)) continue;
    const givingUp = !job.s3_key || (job.status === "queue_failed" && job.send_attempts >= config.JOB_MAX_SEND_ATTEMPTS);
    if (givingUp) {
      const why = job.s3_key ? `gave up after ${job.send_attempts} failed send attempts` : "the photo has no copy in the bucket";
      if (await failJob(sql, from, why, now)) result.gaveUp++;
      else deps.log.warn("retry sweep lost the race: the job moved on before it was given up", { jobId: job.id, seen: job.status });
      continue;
    }
    if (await sendImageJob(deps, job, from)) result.requeued++;
    else result.stillFailing++;
  }

  for (const due of await copiesDue(sql, now, limit)) {
    const outcome = await copyPhoto(deps, due.imageId);
    if (!outcome) continue;
    result.copiesRetried++;
    if (outcome.status === "copied") {
      result.copiesCopied++;
      await queueImageProcessing(deps, { bookId: due.bookId });
    }
  }
  if (result.examined > 0 || result.deadLettered > 0 || result.copiesRetried > 0) deps.log.info("retry sweep", { ...result });
  return result;
}
