/**
 * Moves messages from the image-processing DLQ back to the queue and resets their jobs to
 * `queued`, so a fixed bug can be replayed. Per message (one bad message never blocks the rest):
 * the job is judged as dead-lettered (dead-letter-verdict.ts), then reset `failed` → `queued` by a
 * compare-and-set (only if it is still its photo's latest job and no other is active) before its
 * message is re-sent, so the worker never sees a `failed` job. A job completed or superseded since
 * (the photo was processed again) is not reset: its stale message is deleted and counted. A job a
 * worker is still running is never reset: its message stays. Each job is re-sent once per redrive
 * however many copies the DLQ holds; the other copies are deleted.
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { errorMessage, loadJob, parseImageJobMessage, resetForRedrive } from "@bluemoxon/core";
import { type ApiDeps, imageQueue } from "../api-deps.ts";
import { judgeDeadLetter } from "./dead-letter-verdict.ts";
import { sendImageJob } from "./queue-image-processing.ts";

export interface RedriveResult {
  /** Messages re-sent: one per job. */
  moved: number;
  jobsReset: number;
  /** Further copies of a job already re-sent by this redrive: deleted, not re-sent. */
  duplicates: number;
  /** Messages of jobs completed or replaced by a newer job of the photo: deleted, nothing reset. */
  superseded: number;
  /** Messages of jobs a worker is still running: left in the DLQ. */
  inFlight: number;
  /** Bodies that are not valid job messages stay in the DLQ for a person to look at. */
  invalid: number;
}

/**
 * @example
 * const { moved } = await redriveDeadLetters(deps, { max: 100 });
 */
export async function redriveDeadLetters(
  deps: Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock" | "config">,
  { max = 100 }: { max?: number } = {},
): Promise<RedriveResult> {
  const { sqs } = deps.aws;
  const dlqUrl = await deps.queues.url(imageQueue, { dlq: true });
  const result: RedriveResult = { moved: 0, jobsReset: 0, duplicates: 0, superseded: 0, inFlight: 0, invalid: 0 };
  const seen = new Set<string>();
  const handled = () => result.moved + result.duplicates + result.superseded + result.inFlight + result.invalid;
  const remove = (handle: string) => sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: handle }));
  while (handled() < max) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - handled()),
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    for (const m of messages) {
      let jobId: string;
      try {
        jobId = parseImageJobMessage(m.Body ?? "").jobId;
      } catch {
        result.invalid++;
        continue;
      }
      if (seen.has(jobId)) {
        await remove(m.ReceiptHandle!);
        result.duplicates++;
        continue;
      }
      try {
        const now = deps.clock.now();
        const verdict = await judgeDeadLetter(deps.sql, jobId, { now, staleSeconds: deps.config.JOB_STALE_SECONDS });
        if (verdict.kind === "in_flight") {
          result.inFlight++;
          continue;
        }
        const outcome =
          verdict.kind === "failed"
            ? await resetForRedrive(deps.sql, { jobId, status: "failed", version: verdict.job.version }, now)
            : "superseded";
        if (outcome === "superseded") {
          await remove(m.ReceiptHandle!);
          result.superseded++;
          continue;
        }
        seen.add(jobId);
        result.jobsReset++;
        // Sent as any job is (a failed send leaves it queue_failed for the sweep), then the DLQ copy goes.
        const reset = (await loadJob(deps.sql, jobId))!;
        await sendImageJob(deps, reset, { jobId, status: reset.status, version: reset.version });
        await remove(m.ReceiptHandle!);
        result.moved++;
      } catch (error) {
        // This message stays (visible again after its timeout); the others still move.
        result.inFlight++;
        deps.log.error("redrive of one message failed; it stays in the DLQ", { jobId, error: errorMessage(error) });
      }
    }
  }
  deps.log.info("dead letters redriven", { ...result });
  return result;
}
