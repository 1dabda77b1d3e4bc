/**
 * The sweep's look at the DLQ: every job whose message is there is marked dead-lettered (see
 * dead-letter-verdict.ts), stale copies are deleted, and the rest stays visible for a redrive or
 * a person. Returns the jobs seen there, which the sweep must never re-send.
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { parseImageJobMessage } from "@bluemoxon/core";
import { type ApiDeps, imageQueue } from "../api-deps.ts";
import { judgeDeadLetter } from "./dead-letter-verdict.ts";

export interface DeadLetterReading {
  /** Job ids with a message in the DLQ (kept there). */
  seen: Set<string>;
  deadLettered: number;
  staleDeleted: number;
}

/**
 * @example
 * const { seen } = await reconcileDeadLetters(deps, { max: 25 });
 */
export async function reconcileDeadLetters(
  deps: Pick<ApiDeps, "sql" | "aws" | "queues" | "log" | "clock" | "config">,
  { max }: { max: number },
): Promise<DeadLetterReading> {
  const { sqs } = deps.aws;
  const dlqUrl = await deps.queues.url(imageQueue, { dlq: true });
  const reading: DeadLetterReading = { seen: new Set(), deadLettered: 0, staleDeleted: 0 };
  // Received with VisibilityTimeout 0: each stays visible for a redrive or a person (and the API
  // needs no ChangeMessageVisibility on the DLQ); a message seen twice means the DLQ was read through.
  const looked = new Set<string>();
  while (looked.size < max) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - looked.size),
        WaitTimeSeconds: 0,
        VisibilityTimeout: 0,
      }),
    );
    const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !looked.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const m of fresh) {
      looked.add(m.MessageId!);
      let jobId: string | undefined;
      try {
        jobId = parseImageJobMessage(m.Body ?? "").jobId;
      } catch {
        continue; // Not a job message: stays for a person.
      }
      const verdict = await judgeDeadLetter(deps.sql, jobId, { now: deps.clock.now(), staleSeconds: deps.config.JOB_STALE_SECONDS });
      if (verdict.kind === "stale") {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
        reading.staleDeleted++;
        continue;
      }
      reading.seen.add(jobId);
      if (verdict.kind === "failed" && verdict.marked) {
        reading.deadLettered++;
        deps.log.warn("retry sweep: job's message is in the DLQ; marked dead-lettered", { jobId });
      }
    }
  }
  return reading;
}
