/**
 * Image job states and the transitions between them.
 *
 *     pending ─► queued ─► processing ─► completed
 *        │  │       ▲          ▲  └────► failed
 *        │  └───────┼──────────┤
 *        └► queue_failed ──────┘
 *
 * A worker may claim a `pending` or `queue_failed` job: it holds the message, and the message
 * proves the send happened — the API's own "sent" update may simply not have landed yet.
 *
 * SQL enforces the same table: every state change is `UPDATE … WHERE status IN (<allowed from>)`,
 * built from `allowedFrom()` so the two cannot disagree.
 */
export const jobStatuses = ["pending", "queued", "queue_failed", "processing", "completed", "failed"] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const transitions: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  pending: ["queued", "queue_failed", "processing", "failed"],
  // queued → queued: the retry sweep re-sends a job that has waited too long.
  queued: ["queued", "processing", "queue_failed", "failed"],
  queue_failed: ["queued", "queue_failed", "processing", "failed"],
  // processing → processing: SQS redelivery after a crash or a transient error.
  processing: ["processing", "completed", "failed", "queued", "queue_failed"],
  // Terminal; reprocessing a photo creates a new job. A failed job may be retried by a person.
  completed: [],
  failed: ["queued"],
};

export const terminalStatuses: readonly JobStatus[] = ["completed", "failed"];

/** @example canTransition("queued", "processing") // true */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return transitions[from].includes(to);
}

/** States from which `to` may be entered. @example allowedFrom("completed") // ["processing"] */
export function allowedFrom(to: JobStatus): JobStatus[] {
  return jobStatuses.filter((from) => transitions[from].includes(to));
}
