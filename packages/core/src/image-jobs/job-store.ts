/**
 * Every write of `image_jobs`: one function per transition of `jobTransitions`, each ONE SQL
 * statement that compares-and-sets the state and version its caller read (so a worker that claimed
 * the job meanwhile, a second sweep or a late copy of a message never overwrites a newer truth).
 * One statement, no transaction: postgres.js 3.4.9 crashes the process when a connection dies
 * inside `sql.begin` (porsager/postgres#1208), and losing the connection is a case this must survive.
 *
 * `version` is bumped by every state change; `attempts` counts claims (what the dashboard shows).
 */
import type { Sql } from "../db.ts";
import { activeJobStatuses, allowedFrom, canTransition, type JobStatus } from "./lifecycle-table.ts";

/** What a caller read of a job, and what its write compares against. */
export interface JobVersion {
  jobId: string;
  status: JobStatus;
  version: number;
}

export interface JobRow {
  id: string;
  image_id: string;
  book_id: string;
  status: JobStatus;
  version: number;
  attempts: number;
  send_attempts: number;
  final_receive: boolean;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  queued_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
  s3_key: string | null;
}

const reasonText = (reason: string) => reason.slice(0, 1000);

/**
 * `('pending', 'queued', …)` as SQL literals, from the table. Literals, not parameters: the partial
 * unique index `image_jobs_one_active` is matched by `ON CONFLICT … WHERE` only when PostgreSQL can
 * prove the predicate, which it cannot for bind parameters once a prepared statement goes generic
 * (after five runs: "no unique or exclusion constraint matching the ON CONFLICT specification").
 */
function activeList(sql: Sql) {
  if (!activeJobStatuses.every((s) => /^[a-z_]+$/.test(s))) throw new Error("job statuses must be plain words");
  return sql.unsafe(`(${activeJobStatuses.map((s) => `'${s}'`).join(", ")})`);
}

function checked(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new Error(`image job: no transition ${from} → ${to}`);
}

/** One job with its photo's book and copy key; undefined when there is none. */
export async function loadJob(sql: Sql, jobId: string): Promise<JobRow | undefined> {
  const [row] = await sql<JobRow[]>`
    SELECT j.*, i.book_id, i.s3_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${jobId}`;
  return row;
}

export type CreateJobTarget =
  /** A person asked for this photo (it must be copied). */
  | { imageId: string }
  /** An import: the book's first copied photo (by primary flag, then position), unless the book has a job already; it becomes the primary. */
  | { bookId: string };

/**
 * Creates a `pending` job — the one creation path of the API, for the import and for a reprocess
 * request. The partial unique index `image_jobs_one_active` decides (never a check before the
 * insert); for an import, the primary flag is set by the same statement.
 * @returns the job with the photo's book and key, or undefined when nothing was created (an active
 *   job exists, the photo is not copied, or the book already has a job)
 * @example
 * const job = await createJob(sql, { imageId }, new Date());
 */
export async function createJob(sql: Sql, target: CreateJobTarget, now: Date): Promise<JobRow | undefined> {
  const photo =
    "imageId" in target
      ? sql`SELECT i.id, i.book_id, i.s3_key FROM book_images i
            WHERE i.id = ${target.imageId} AND i.copy_status = 'copied' AND i.s3_key IS NOT NULL`
      : sql`SELECT i.id, i.book_id, i.s3_key FROM book_images i
            WHERE i.book_id = ${target.bookId} AND i.copy_status = 'copied' AND i.s3_key IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM image_jobs j JOIN book_images x ON x.id = j.image_id WHERE x.book_id = ${target.bookId})
            ORDER BY i.is_primary DESC, i.position LIMIT 1`;
  const [row] = await sql<JobRow[]>`
    WITH photo AS (${photo}), job AS (
      INSERT INTO image_jobs (image_id, status, version, created_at, updated_at)
      SELECT id, 'pending', 0, ${now}, ${now} FROM photo
      ON CONFLICT (image_id) WHERE status IN ${activeList(sql)} DO NOTHING
      RETURNING *
    ), flag AS (
      UPDATE book_images SET is_primary = true
      WHERE ${"bookId" in target} AND id IN (SELECT image_id FROM job)
        AND NOT EXISTS (SELECT 1 FROM book_images b WHERE b.book_id = (SELECT book_id FROM photo) AND b.is_primary)
    )
    SELECT job.*, photo.book_id, photo.s3_key FROM job JOIN photo ON photo.id = job.image_id`;
  return row;
}

/**
 * Records one send of the job's message. `sent`: the message went out (→ `queued`); otherwise
 * `queue_failed` with the error. A job seen `processing` stays `processing` (the last claim is the
 * truth until the next). When the job moved on since `from` (a worker claimed it: its message proves
 * the send) only the count of messages sent changes.
 * @returns whether the state change applied
 */
export async function recordSend(
  sql: Sql,
  from: JobVersion,
  outcome: { sent: true } | { sent: false; error: string },
  now: Date,
): Promise<boolean> {
  const to: JobStatus = from.status === "processing" ? "processing" : outcome.sent ? "queued" : "queue_failed";
  checked(from.status, to);
  const error = outcome.sent ? null : reasonText(`send failed: ${outcome.error}`);
  const [row] = await sql<{ applied: boolean }[]>`
    WITH seen AS (
      SELECT id, (status = ${from.status} AND version = ${from.version}) AS applied FROM image_jobs WHERE id = ${from.jobId} FOR UPDATE
    )
    UPDATE image_jobs j SET
      send_attempts = j.send_attempts + CASE WHEN seen.applied OR ${outcome.sent} THEN 1 ELSE 0 END,
      status = CASE WHEN seen.applied THEN ${to} ELSE j.status END,
      version = CASE WHEN seen.applied AND ${to !== from.status} THEN j.version + 1 ELSE j.version END,
      queued_at = CASE WHEN seen.applied AND ${to === "queued"} THEN ${now}::timestamptz ELSE j.queued_at END,
      last_error = CASE WHEN seen.applied AND ${!(outcome.sent && to === "processing")} THEN ${error}::text ELSE j.last_error END,
      updated_at = CASE WHEN seen.applied THEN ${now}::timestamptz ELSE j.updated_at END
    FROM seen WHERE j.id = seen.id
    RETURNING seen.applied`;
  return row?.applied === true;
}

export interface Claim {
  jobId: string;
  imageId: string;
  bookId: string;
  sourceKey: string | null;
  /** The claim's version: the run's completion or failure applies only while it is still this. */
  version: number;
  attempts: number;
}

/**
 * A worker claims the job of a message it received (→ `processing`, attempts + 1). `finalReceive`:
 * this is the message's last delivery before the DLQ takes it, so whoever finds the job lost later
 * knows its message is dead-lettered.
 * @returns the claim, or undefined when the job is not claimable (finished, or not there yet)
 */
export async function claimJob(
  sql: Sql,
  jobId: string,
  { finalReceive }: { finalReceive: boolean },
  now: Date,
): Promise<Claim | undefined> {
  const [row] = await sql<{ image_id: string; book_id: string; s3_key: string | null; version: number; attempts: number }[]>`
    UPDATE image_jobs j SET status = 'processing', attempts = j.attempts + 1, version = j.version + 1,
      final_receive = ${finalReceive}, started_at = ${now}, updated_at = ${now}
    FROM book_images i
    WHERE j.id = ${jobId} AND i.id = j.image_id AND j.status IN ${sql(allowedFrom("processing"))}
    RETURNING j.image_id, i.book_id, i.s3_key, j.version, j.attempts`;
  return row && { jobId, imageId: row.image_id, bookId: row.book_id, sourceKey: row.s3_key, version: row.version, attempts: row.attempts };
}

/**
 * The claim's run wrote its PNG: the job completes and its photo records the cut-out, in one
 * statement (neither half alone). False when a newer claim (or a dead-lettering) owns the job.
 */
export async function completeJob(sql: Sql, claim: Pick<Claim, "jobId" | "version">, processedKey: string, now: Date): Promise<boolean> {
  const rows = await sql`
    WITH job AS (
      UPDATE image_jobs SET status = 'completed', version = version + 1, completed_at = ${now}, updated_at = ${now}, last_error = NULL
      WHERE id = ${claim.jobId} AND status = 'processing' AND version = ${claim.version}
      RETURNING id, image_id
    ), photo AS (
      UPDATE book_images SET processed_key = ${processedKey}, processed_at = ${now} WHERE id IN (SELECT image_id FROM job)
    )
    SELECT id FROM job`;
  return rows.length > 0;
}

/**
 * Fails the job for good with a reason (a bad photo, a job given up, a dead-lettered message),
 * if it is still as `from` says. False when it moved on.
 */
export async function failJob(sql: Sql, from: JobVersion, reason: string, now: Date): Promise<boolean> {
  checked(from.status, "failed");
  const rows = await sql`
    UPDATE image_jobs SET status = 'failed', version = version + 1, last_error = ${reasonText(reason)}, updated_at = ${now}
    WHERE id = ${from.jobId} AND status = ${from.status} AND version = ${from.version}
    RETURNING id`;
  return rows.length > 0;
}

/**
 * The job's message reached (or is about to reach) the DLQ: the job fails, once, with the reason —
 * whoever sees it first (the claim at the last receive, the sweep, the redrive) and only as it was
 * read, so a copy of the job that another run is completing is never thrown away.
 * @example
 * await markDeadLettered(sql, { jobId, status: "processing", version }, "dead-lettered after 5 receives: …", now);
 */
export async function markDeadLettered(sql: Sql, from: JobVersion, reason: string, now: Date): Promise<boolean> {
  return failJob(sql, from, reason.startsWith("dead-lettered") ? reason : `dead-lettered: ${reason}`, now);
}

/** Notes a transient error of the claim's run (the record is redelivered); no state change. */
export async function noteJobError(sql: Sql, claim: Pick<Claim, "jobId" | "version">, reason: string, now: Date): Promise<boolean> {
  const rows = await sql`
    UPDATE image_jobs SET last_error = ${reasonText(reason)}, updated_at = ${now}
    WHERE id = ${claim.jobId} AND status = 'processing' AND version = ${claim.version}
    RETURNING id`;
  return rows.length > 0;
}

export interface SweepPolicy {
  now: Date;
  /** Backoff of a `queue_failed` job: base × 2^(send attempts − 1), at most max. */
  backoffSeconds: number;
  backoffMaxSeconds: number;
  /** A `pending` job untouched this long was never sent (the API lost between create and send). */
  staleSeconds: number;
  /**
   * A `queued` or `processing` job untouched this long has no message left (SQS keeps one this
   * long); before that its message may still be queued or in flight, and SQS redelivers it.
   * Undefined: such jobs are never re-sent.
   */
  messageRetentionSeconds?: number;
  limit: number;
}

/**
 * Picks the jobs the sweep should act on and touches their `updated_at` (FOR UPDATE SKIP LOCKED:
 * two sweeps never take the same job). Each comes back with the version read, for the action's
 * compare-and-set.
 */
export async function pickJobsForSweep(sql: Sql, policy: SweepPolicy): Promise<JobRow[]> {
  const { now } = policy;
  const staleBefore = new Date(now.getTime() - policy.staleSeconds * 1000);
  const lostBefore = policy.messageRetentionSeconds === undefined ? null : new Date(now.getTime() - policy.messageRetentionSeconds * 1000);
  return sql<JobRow[]>`
    WITH picked AS (
      SELECT j.id FROM image_jobs j
      WHERE (j.status = 'queue_failed'
             AND j.updated_at <= ${now}::timestamptz - make_interval(secs => least(
                   ${policy.backoffSeconds}::float8 * power(2, greatest(j.send_attempts - 1, 0)),
                   ${policy.backoffMaxSeconds}::float8)))
         OR (j.status = 'pending' AND j.updated_at <= ${staleBefore})
         OR (j.status = 'processing' AND j.final_receive AND j.updated_at <= ${staleBefore})
         OR (j.status IN ('queued', 'processing') AND ${lostBefore}::timestamptz IS NOT NULL AND j.updated_at <= ${lostBefore}::timestamptz)
      ORDER BY j.updated_at
      LIMIT ${policy.limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE image_jobs j SET updated_at = ${now}
    FROM picked, book_images i
    WHERE j.id = picked.id AND i.id = j.image_id
    RETURNING j.*, i.book_id, i.s3_key`;
}

export type RedriveOutcome = "reset" | "superseded";

/**
 * A redrive brings a dead-lettered job back: `failed` → `queued`, if it is still as read and is
 * still its photo's latest job with no other active one. Otherwise (completed since, a newer job
 * of the photo exists, processing by another copy) it is superseded and must not be reset.
 */
export async function resetForRedrive(sql: Sql, from: JobVersion, now: Date): Promise<RedriveOutcome> {
  if (from.status !== "failed") return "superseded";
  try {
    const rows = await sql`
      UPDATE image_jobs j SET status = 'queued', version = j.version + 1, last_error = NULL, queued_at = ${now}, updated_at = ${now}
      WHERE j.id = ${from.jobId} AND j.status = 'failed' AND j.version = ${from.version}
        AND NOT EXISTS (SELECT 1 FROM image_jobs k WHERE k.image_id = j.image_id AND k.id <> j.id
                        AND (k.status IN ${sql(activeJobStatuses as JobStatus[])} OR (k.created_at, k.id) > (j.created_at, j.id)))
      RETURNING j.id`;
    return rows.length > 0 ? "reset" : "superseded";
  } catch (error) {
    // An active job of the photo was created between the check and the write: the index said no.
    if ((error as { code?: string }).code === "23505") return "superseded";
    throw error;
  }
}
