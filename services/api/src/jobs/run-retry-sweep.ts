/**
 * The retry sweep: re-sends jobs whose message may never have reached the worker.
 *
 * - `queue_failed` jobs, once their backoff (base × 2^(send attempts − 1), capped) has passed;
 * - `pending`/`queued`/`processing` jobs untouched for longer than `JOB_STALE_SECONDS` (a lost message,
 *   a crashed worker past its visibility timeout, an API cut off between creating a job and
 *   recording its send — the worker refuses a `pending` job, so nothing else would move it).
 *
 * Every transition is a compare-and-set on the state and `attempts` the sweep read, so a worker
 * that claims the job meanwhile wins; a `processing` job is re-sent but stays `processing`.
 * A job that has used up `JOB_MAX_SEND_ATTEMPTS` becomes `failed`. A stale `processing` job claimed at
 * its message's last delivery (`final_receive`) is not re-sent: its worker was lost and SQS has moved
 * the message to the DLQ, so it becomes `failed` ("dead-lettered after its last receive: …") — the
 * DLQ then holds only jobs marked dead-lettered, and a redrive brings it back. Jobs are claimed with
 * `FOR UPDATE SKIP LOCKED` and their `updated_at` bumped, so two sweeps (an interval and the
 * admin endpoint, or two Lambdas) never send the same job twice. The same function runs from
 * the local interval, the scheduled Lambda event and `POST /api/v1/admin/image-jobs/retry`.
 */
import { allowedFrom, type JobStatus } from "@bluemoxon/core";
import type { ApiDeps } from "../api-deps.ts";
import { sendImageJob } from "./queue-image-processing.ts";

export interface RetrySweepResult {
  examined: number;
  requeued: number;
  stillFailing: number;
  gaveUp: number;
  /** Stale `processing` jobs lost at their last delivery: marked dead-lettered, not re-sent. */
  deadLettered: number;
}

/**
 * @example
 * const { requeued } = await runRetrySweep(deps);
 */
export async function runRetrySweep(
  deps: Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock" | "config">,
  { limit = deps.config.RETRY_SWEEP_BATCH }: { limit?: number } = {},
): Promise<RetrySweepResult> {
  const { sql, config } = deps;
  const now = deps.clock.now();
  const staleBefore = new Date(now.getTime() - config.JOB_STALE_SECONDS * 1000);
  const claimed = await sql<
    {
      id: string;
      image_id: string;
      book_id: string;
      s3_key: string | null;
      status: JobStatus;
      send_attempts: number;
      attempts: number;
      final_receive: boolean;
    }[]
  >`
    WITH picked AS (
      SELECT j.id FROM image_jobs j
      WHERE (j.status = 'queue_failed'
             AND j.updated_at <= ${now}::timestamptz - make_interval(secs => least(
                   ${config.RETRY_BACKOFF_SECONDS}::float8 * power(2, greatest(j.send_attempts - 1, 0)),
                   ${config.RETRY_BACKOFF_MAX_SECONDS}::float8)))
         OR (j.status IN ('pending', 'queued', 'processing') AND j.updated_at <= ${staleBefore})
      ORDER BY j.updated_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE image_jobs j SET updated_at = ${now}
    FROM picked, book_images i
    WHERE j.id = picked.id AND i.id = j.image_id
    RETURNING j.id, j.image_id, i.book_id, i.s3_key, j.status, j.send_attempts, j.attempts, j.final_receive`;

  const result: RetrySweepResult = { examined: claimed.length, requeued: 0, stillFailing: 0, gaveUp: 0, deadLettered: 0 };
  for (const job of claimed) {
    if (job.status === "processing" && job.final_receive) {
      const why = `dead-lettered after its last receive: no outcome from the worker within ${config.JOB_STALE_SECONDS} s (lost: killed or timed out)`;
      const updated = await sql`
        UPDATE image_jobs SET status = 'failed', last_error = ${why}, updated_at = ${now}
        WHERE id = ${job.id} AND status = 'processing' AND attempts = ${job.attempts}
        RETURNING id`;
      if (updated.length > 0) {
        result.deadLettered++;
        deps.log.warn("retry sweep: job lost at its last receive, marked dead-lettered", { jobId: job.id, attempts: job.attempts });
      } else deps.log.warn("retry sweep lost the race: the job moved on before it was marked dead-lettered", { jobId: job.id });
      continue;
    }
    if (job.send_attempts >= config.JOB_MAX_SEND_ATTEMPTS || !job.s3_key) {
      const why = job.s3_key
        ? `gave up after ${job.send_attempts} send attempts (last state ${job.status})`
        : "the photo has no copy in the bucket";
      const updated = await sql`
        UPDATE image_jobs SET status = 'failed', last_error = ${why}, updated_at = ${now}
        WHERE id = ${job.id} AND status = ${job.status} AND attempts = ${job.attempts} AND status IN ${sql(allowedFrom("failed"))}
        RETURNING id`;
      if (updated.length > 0) result.gaveUp++;
      else deps.log.warn("retry sweep lost the race: the job moved on before it was given up", { jobId: job.id, seen: job.status });
      continue;
    }
    const sent = await sendImageJob(
      deps,
      { jobId: job.id, bookId: job.book_id, imageId: job.image_id, sourceKey: job.s3_key },
      job.status,
      job.attempts,
    );
    if (sent) result.requeued++;
    else result.stillFailing++;
  }
  if (claimed.length > 0) deps.log.info("retry sweep", { ...result });
  return result;
}
