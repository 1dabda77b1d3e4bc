/** Errors shared by the services. Typed at the source, mapped to HTTP or SQS outcomes at the edge. */

/** A job that can never succeed (bad photo, invalid message): record `failed`, do not retry. */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}

/** A job that may succeed later (S3, database, throttling): keep it and let SQS redeliver. */
export class TransientJobError extends Error {
  override name = "TransientJobError";
}

/** A state change refused because the job is not in a state that allows it. */
export class JobStateConflictError extends Error {
  override name = "JobStateConflictError";
}

/** `error.message` of anything thrown, for logs and `last_error`. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
