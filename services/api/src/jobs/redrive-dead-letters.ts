/**
 * Moves messages from the image-processing DLQ back to the queue and resets their jobs to
 * `queued` (no error), so a fixed bug can be replayed. The job is reset before the message is
 * re-sent, so the worker never sees a `failed` job. Each job is re-sent once per redrive however
 * many copies of its message the DLQ holds; the other copies are deleted. `attempts` is kept: it
 * is the job's version, and a worker of an earlier round must never match it again.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { allowedFrom, parseImageJobMessage } from "@bluemoxon/core";
import { type ApiDeps, imageQueue } from "../api-deps.ts";

export interface RedriveResult {
  /** Messages re-sent: one per job. */
  moved: number;
  jobsReset: number;
  /** Further copies of a job already re-sent by this redrive: deleted, not re-sent. */
  duplicates: number;
  /** Bodies that are not valid job messages stay in the DLQ for a person to look at. */
  invalid: number;
}

/**
 * @example
 * const { moved } = await redriveDeadLetters(deps, { max: 100 });
 */
export async function redriveDeadLetters(
  deps: Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock">,
  { max = 100 }: { max?: number } = {},
): Promise<RedriveResult> {
  const { sqs } = deps.aws;
  const [queueUrl, dlqUrl] = await Promise.all([deps.queues.url(imageQueue), deps.queues.url(imageQueue, { dlq: true })]);
  const result: RedriveResult = { moved: 0, jobsReset: 0, duplicates: 0, invalid: 0 };
  const seen = new Set<string>();
  const handled = () => result.moved + result.duplicates + result.invalid;
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
        await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
        result.duplicates++;
        continue;
      }
      seen.add(jobId);
      const now = deps.clock.now();
      const reset = await deps.sql`
        UPDATE image_jobs SET status = 'queued', last_error = NULL, queued_at = ${now}, updated_at = ${now}
        WHERE id = ${jobId} AND status IN ${deps.sql(allowedFrom("queued"))}`;
      result.jobsReset += reset.count;
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: m.Body! }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
      result.moved++;
    }
  }
  deps.log.info("dead letters redriven", { ...result });
  return result;
}
