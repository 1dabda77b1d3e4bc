/**
 * One background-removal job, from SQS message to `completed` (or `failed` with a reason).
 *
 * Idempotent: the job is claimed through the lifecycle module (`claimJob`), so a redelivered
 * message for a finished job does nothing, and the output key is deterministic. The claim bumps the
 * job's `version`: the completion and the failure are compare-and-set on it, so when a redelivery
 * claimed the job while this run worked (a slow worker past the visibility timeout), or it was
 * dead-lettered meanwhile, only the newer truth stands; this run logs the lost race and ends
 * `superseded`. Errors are sorted here: a bad photo (`PermanentJobError`) fails the job and the
 * record succeeds — retrying cannot help; anything else (S3, database, throttling, a removal past
 * its budget — stopped for real by a thread remover) leaves the job `processing` with `last_error`
 * and is rethrown, so SQS redelivers it, and after `maxReceiveCount` receives the DLQ takes it — at
 * that last receive the job is marked dead-lettered; when the worker could not know it was the last
 * one, the sweep's look at the DLQ does it.
 */
import { GetObjectCommand, type GetObjectCommandOutput, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  activeJobStatuses,
  type Claim,
  claimJob,
  completeJob,
  errorMessage,
  failJob,
  loadJob,
  markDeadLettered as markJobDeadLettered,
  noteJobError,
  PermanentJobError,
  parseImageJobMessage,
  processedKey,
  type Sql,
  TransientJobError,
} from "@bluemoxon/core";
import type { RemoveOptions } from "./background/background-remover.ts";
import { JobNotReadyError, ProcessingTimeoutError, SourceMissingError, SourceTooLargeError, StorageUnavailableError } from "./errors.ts";

export interface JobLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface ProcessJobDeps {
  sql: Sql;
  s3: S3Client;
  bucket: string;
  remover: {
    remove(bytes: Uint8Array, options?: RemoveOptions): Promise<{ png: Buffer; width: number; height: number }>;
    /**
     * A removal that is stopped for real when `ms` pass (thread-remover.ts terminates its thread);
     * without it the deadline only stops the wait, and the removal runs on.
     */
    removeWithin?(bytes: Uint8Array, options: RemoveOptions, ms: number): Promise<{ png: Buffer; width: number; height: number }>;
  };
  /** A logger carrying the job's ids (the entry point decides how to attach them). */
  logFor?: (context: { jobId: string; bookId: string; imageId: string }) => JobLog;
  maxSourceBytes?: number;
  maxInputPixels?: number;
  /** Background removal of one photo must finish within this (ms), or the record fails transiently. Default: no limit. */
  processTimeoutMs?: number;
  /** Called between the PNG write and the completion (tests crash a worker there). */
  afterPngWrite?: () => Promise<void> | void;
  /** Trim / max edge; both off by default. */
  output?: Pick<RemoveOptions, "trim" | "maxOutputEdge">;
}

/** What SQS says about this delivery of the message (both optional: a direct call has neither). */
export interface Delivery {
  /** `ApproximateReceiveCount`: 1 on the first delivery. */
  receiveCount?: number;
  /** The queue's redrive `maxReceiveCount`: a record failed at this receive goes to the DLQ. */
  maxReceiveCount?: number;
  /** Background removal must end within this (ms): what the invocation has left for this record. */
  timeoutMs?: number;
}

/** Seconds before a message whose job row is not there yet comes back: 5 s, growing with each receive, at most 60 s. */
export function notReadyDelaySeconds(receiveCount = 1): number {
  return Math.min(60, 5 * Math.max(1, receiveCount));
}

export type ProcessJobResult =
  | { outcome: "completed"; jobId: string; processedKey: string; width: number; height: number; ms: number }
  | { outcome: "duplicate"; jobId: string; status: "completed" | "failed" }
  /** A newer claim of the same job (a redelivery while this one ran) owns it now; this run wrote nothing to the job. */
  | { outcome: "superseded"; jobId: string; status: string | undefined }
  | { outcome: "failed"; jobId: string; reason: string };

const silent: JobLog = { info() {}, warn() {}, error() {} };

/** Throttling, 5xx, timeouts and network errors all count as transient; so does anything unknown. */
function storageError(what: string, error: unknown): Error {
  if (error instanceof PermanentJobError || error instanceof TransientJobError) return error;
  return new StorageUnavailableError(`${what}: ${errorMessage(error)}`, { cause: error });
}

async function readSource(deps: ProcessJobDeps, key: string, maxBytes: number): Promise<Uint8Array> {
  let out: GetObjectCommandOutput;
  try {
    out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "NoSuchKey" || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
      throw new SourceMissingError(`the source photo s3://${deps.bucket}/${key} does not exist`, { cause: error });
    }
    throw storageError(`reading s3://${deps.bucket}/${key} failed`, error);
  }
  if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
    (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
    throw new SourceTooLargeError(`the photo has ${out.ContentLength} bytes, over the limit of ${maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      // A missing or lying Content-Length must not let a huge body into memory.
      if (total > maxBytes) {
        (out.Body as { destroy?: () => void }).destroy?.();
        throw new SourceTooLargeError(`the photo has more than ${maxBytes} bytes, over the limit`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    throw storageError(`reading s3://${deps.bucket}/${key} was interrupted`, error);
  }
  return Buffer.concat(chunks, total);
}

/** Rejects with `ProcessingTimeoutError` when `work` has not settled within `ms` (Infinity: waits). */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  if (!Number.isFinite(ms)) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProcessingTimeoutError(`background removal took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Marks the job of a message `failed` with `reason`, for a record that goes to the DLQ without
 * having run (the handler's time budget at its last receive). Compare-and-set on the job as read:
 * a job another copy of the message is running (`processing`) or that finished is left alone —
 * that run's outcome decides, and the sweep or the redrive find the DLQ copy later.
 * @example
 * await markDeadLettered(sql, record.body, "dead-lettered after 5 receives: not started");
 */
export async function markDeadLettered(sql: Sql, body: string, reason: string): Promise<boolean> {
  const { jobId } = parseImageJobMessage(body);
  const job = await loadJob(sql, jobId);
  if (!job || job.status === "processing" || !activeJobStatuses.includes(job.status)) return false;
  return markJobDeadLettered(sql, { jobId, status: job.status, version: job.version }, reason, new Date());
}

/**
 * Processes one SQS message body. Resolves for success, duplicates and permanent failures;
 * rejects (transient errors, invalid messages) when SQS should deliver the record again.
 * @example
 * const result = await processJob(record.body, { sql, s3, bucket, remover });
 */
export async function processJob(body: string, deps: ProcessJobDeps, delivery: Delivery = {}): Promise<ProcessJobResult> {
  const message = parseImageJobMessage(body);
  const { jobId } = message;
  const started = performance.now();
  const { sql } = deps;

  // The claim reads the photo's book and source key from the database: the message only names the job.
  // It also records whether this is the message's last delivery, for when this run is lost (see 0003).
  const finalReceive =
    delivery.receiveCount !== undefined && delivery.maxReceiveCount !== undefined && delivery.receiveCount >= delivery.maxReceiveCount;
  let claim: Claim | undefined;
  try {
    claim = await claimJob(sql, jobId, { finalReceive }, new Date());
  } catch (error) {
    throw storageError("claiming the job failed", error);
  }
  const ids = claim ? { jobId, bookId: claim.bookId, imageId: claim.imageId } : { jobId, bookId: message.bookId, imageId: message.imageId };
  const log = deps.logFor?.(ids) ?? silent;
  const { bookId, imageId } = ids;
  if (!claim) {
    const row = await loadJob(sql, jobId).catch((error) => {
      throw storageError("reading the job failed", error);
    });
    if (!row) {
      // The message exists, so its job is being created: the insert has not committed yet.
      throw new JobNotReadyError(`job ${jobId} does not exist (yet)`, notReadyDelaySeconds(delivery.receiveCount));
    }
    if (row.status === "completed" || row.status === "failed") {
      log.info("job already finished; duplicate delivery ignored", { status: row.status });
      return { outcome: "duplicate", jobId, status: row.status };
    }
    throw new TransientJobError(`job ${jobId} is ${row.status}, not claimable`);
  }
  // The claim's version: every later change of this run applies only while it is still the latest claim.
  const attempt = claim.attempts;
  const sourceKey = claim.sourceKey;
  log.info("job started", { attempt, sourceKey });
  if (message.bookId !== bookId || message.imageId !== imageId || message.sourceKey !== sourceKey) {
    log.warn("the message disagrees with the database; using the database", {
      message: { bookId: message.bookId, imageId: message.imageId, sourceKey: message.sourceKey },
    });
  }

  /** A change that matched no row: someone else moved the job. Logged, and the record is done. */
  const superseded = async (what: string): Promise<ProcessJobResult> => {
    const row = await loadJob(sql, jobId).catch(() => undefined);
    log.warn(`job lost the race: ${what} not recorded`, { attempt, status: row?.status, latestAttempt: row?.attempts });
    return { outcome: "superseded", jobId, status: row?.status };
  };

  try {
    if (!sourceKey) throw new SourceMissingError(`photo ${imageId} has no copy in the bucket`);
    const bytes = await readSource(deps, sourceKey, deps.maxSourceBytes ?? 30 * 1024 * 1024);
    const budget = Math.min(deps.processTimeoutMs ?? Number.POSITIVE_INFINITY, delivery.timeoutMs ?? Number.POSITIVE_INFINITY);
    const removeOptions = { maxInputPixels: deps.maxInputPixels, ...deps.output };
    const result =
      deps.remover.removeWithin && Number.isFinite(budget)
        ? await deps.remover.removeWithin(bytes, removeOptions, budget)
        : await withTimeout(deps.remover.remove(bytes, removeOptions), budget);
    const key = processedKey(bookId, imageId);
    try {
      await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: result.png, ContentType: "image/png" }));
    } catch (error) {
      throw storageError(`writing s3://${deps.bucket}/${key} failed`, error);
    }
    await deps.afterPngWrite?.();
    let completed: boolean;
    try {
      // The job and the photo's cut-out in one statement: neither half is ever written alone.
      completed = await completeJob(sql, claim, key, new Date());
    } catch (error) {
      throw storageError("recording the result failed", error);
    }
    // A redelivery claimed the job while this run worked on it (or it was dead-lettered): that decides.
    if (!completed) return await superseded("the completion");
    const ms = Math.round(performance.now() - started);
    log.info("job completed", { processedKey: key, width: result.width, height: result.height, ms });
    return { outcome: "completed", jobId, processedKey: key, width: result.width, height: result.height, ms };
  } catch (error) {
    const reason = errorMessage(error);
    if (error instanceof PermanentJobError) {
      let failed: boolean;
      try {
        failed = await failJob(sql, { jobId, status: "processing", version: claim.version }, reason, new Date());
      } catch (dbError) {
        throw storageError("recording the failure failed", dbError);
      }
      if (!failed) return await superseded("the permanent failure");
      log.warn("job failed permanently", { reason, error: (error as Error).name });
      return { outcome: "failed", jobId, reason };
    }
    const { receiveCount, maxReceiveCount } = delivery;
    if (receiveCount !== undefined && maxReceiveCount !== undefined && receiveCount >= maxReceiveCount) {
      // The last receive: SQS moves the message to the DLQ once this record fails. The job ends
      // `failed` now, so the retry sweep never re-sends it; a redrive brings it back on purpose.
      const why = `dead-lettered after ${receiveCount} receives: ${reason}`.slice(0, 1000);
      const marked = await markJobDeadLettered(sql, { jobId, status: "processing", version: claim.version }, why, new Date()).catch(
        (dbError: unknown) => {
          log.error("could not mark the job dead-lettered", { error: errorMessage(dbError) });
          return false;
        },
      );
      log.error("job failed at its last receive; dead-lettered", { reason, receiveCount, marked });
      throw error;
    }
    // Best effort: the record is redelivered either way, last_error only helps whoever looks.
    await noteJobError(sql, claim, reason, new Date()).catch(() => false);
    log.error("job failed, will be retried", { reason, error: (error as Error).name, receiveCount });
    throw error;
  }
}
