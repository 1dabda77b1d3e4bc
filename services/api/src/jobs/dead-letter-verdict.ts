/**
 * What a message in the DLQ says about its job — one reading for the sweep and the redrive, so
 * "dead-lettered" is decided in one place: the DLQ holds the message, so the job fails (once,
 * compare-and-set on what was read), unless it finished or was replaced since (the message is
 * stale), or a worker may still be running it (its outcome decides; never thrown away).
 */
import { type JobRow, loadJob, markDeadLettered, type Sql } from "@bluemoxon/core";

export type DeadLetterVerdict =
  /** No job, completed, or not its photo's latest job: the message is stale. */
  | { kind: "stale"; job?: JobRow }
  /** A worker claimed the job recently and may still record its outcome: leave it be. */
  | { kind: "in_flight"; job: JobRow }
  /** The job is failed (now, or it was already): `job` is as it stands. */
  | { kind: "failed"; job: JobRow; marked: boolean };

/**
 * @example
 * const verdict = await judgeDeadLetter(sql, jobId, { now, staleSeconds: 1800 });
 */
export async function judgeDeadLetter(
  sql: Sql,
  jobId: string,
  { now, staleSeconds }: { now: Date; staleSeconds: number },
): Promise<DeadLetterVerdict> {
  const job = await loadJob(sql, jobId);
  if (!job || job.status === "completed") return { kind: "stale", job };
  const [newer] = await sql`
    SELECT 1 FROM image_jobs k WHERE k.image_id = ${job.image_id} AND k.id <> ${job.id}
      AND (k.created_at, k.id) > (${job.created_at}, ${job.id}) LIMIT 1`;
  // Replaced by a newer job of the photo (reprocessed since; only a finished job can be): history.
  if (newer) return { kind: "stale", job };
  if (job.status === "failed") return { kind: "failed", job, marked: false };
  const staleBefore = now.getTime() - staleSeconds * 1000;
  if (job.status === "processing" && !job.final_receive && job.updated_at.getTime() > staleBefore) return { kind: "in_flight", job };
  const reason =
    job.status === "processing"
      ? `dead-lettered after ${job.attempts} receives: its message reached the DLQ with no outcome from the worker`
      : `dead-lettered: its message reached the DLQ before a worker claimed the job (last state ${job.status})`;
  const marked = await markDeadLettered(sql, { jobId, status: job.status, version: job.version }, reason, now);
  const after = await loadJob(sql, jobId);
  if (!after) return { kind: "stale" };
  if (after.status === "failed") return { kind: "failed", job: after, marked };
  if (after.status === "completed") return { kind: "stale", job: after };
  // It moved on while we looked (a worker claimed or completed it): its run decides.
  return { kind: "in_flight", job: after };
}
