/**
 * The job and photo-copy lifecycles as transition tables: the one place their states are spelled.
 * Everything else — the SQL of `job-store.ts` and `copy-store.ts`, the API's `canProcess`, the
 * dashboard — derives its lists from here, so a state added or moved changes every reader.
 *
 *     job:   pending ─► queued ─► processing ─► completed
 *               │          ▲          │  └────► failed      (permanent, dead-lettered, given up)
 *               └► queue_failed ──────┘                      failed ─► queued (redrive, on purpose)
 *
 *     copy:  pending ─► copying ─► copied                    (never goes back)
 *                  ▲       │  └──► failed                    (permanent: 404, not an image, too big, refused)
 *                  └ retryable ◄┘                            (transient: throttled, timeout, 5xx; backoff recorded)
 */
export const jobStatuses = ["pending", "queued", "queue_failed", "processing", "completed", "failed"] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const jobTransitions: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // A worker may claim a pending/queue_failed job: its message proves the send happened.
  pending: ["queued", "queue_failed", "processing", "failed"],
  queued: ["queued", "processing", "queue_failed", "failed"],
  queue_failed: ["queued", "queue_failed", "processing", "failed"],
  // processing → processing: SQS redelivery after a crash or a transient error.
  processing: ["processing", "completed", "failed"],
  completed: [],
  // A redrive brings a dead-lettered job back on purpose.
  failed: ["queued"],
};

export const copyStatuses = ["pending", "copying", "retryable", "copied", "failed"] as const;
export type CopyStatus = (typeof copyStatuses)[number];

export const copyTransitions: Readonly<Record<CopyStatus, readonly CopyStatus[]>> = {
  pending: ["copying"],
  // copying → copying: a claim whose holder was lost (the API killed mid-copy) is taken over after its lease.
  copying: ["copying", "copied", "retryable", "failed"],
  retryable: ["copying"],
  copied: [],
  failed: [],
};

/** Transitions only a person starts (the DLQ redrive); the pipeline never takes them by itself. */
export const manualJobTransitions: Readonly<Partial<Record<JobStatus, readonly JobStatus[]>>> = { failed: ["queued"] };

/** States the pipeline never leaves by itself. */
export const terminalJobStatuses: readonly JobStatus[] = jobStatuses.filter((s) =>
  jobTransitions[s].every((to) => manualJobTransitions[s]?.includes(to)),
);

/** Every state a job can still move on from by itself; one per photo at most (index image_jobs_one_active). */
export const activeJobStatuses: readonly JobStatus[] = jobStatuses.filter((s) => !terminalJobStatuses.includes(s));

/** Copy states the import, a re-import or the sweep will still change. */
export const unsettledCopyStatuses: readonly CopyStatus[] = copyStatuses.filter((s) => copyTransitions[s].length > 0);

/** @example canTransition("queued", "processing") // true */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return jobTransitions[from].includes(to);
}

/** States from which `to` may be entered. @example allowedFrom("completed") // ["processing"] */
export function allowedFrom(to: JobStatus): JobStatus[] {
  return jobStatuses.filter((from) => jobTransitions[from].includes(to));
}

/** Copy states from which `to` may be entered. @example copyAllowedFrom("copying") // ["pending", "copying", "retryable"] */
export function copyAllowedFrom(to: CopyStatus): CopyStatus[] {
  return copyStatuses.filter((from) => copyTransitions[from].includes(to));
}

/**
 * Whether a person may ask for this photo to be (re)processed: it was copied and has no active job.
 * @example canProcess("copied", "completed") // true
 */
export function canProcess(copy: CopyStatus, job: JobStatus | null | undefined): boolean {
  return copy === "copied" && (job == null || !activeJobStatuses.includes(job));
}

/** Whether the pipeline will still move this job by itself (the dashboard polls fast while any does). */
export function isActiveJob(job: JobStatus | null | undefined): boolean {
  return job != null && activeJobStatuses.includes(job);
}
