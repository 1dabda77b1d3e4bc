/**
 * Worker errors, typed where they happen. `processJob` maps them at its edge: a
 * `PermanentJobError` fails the job for good (a bad photo never gets better), anything else
 * is treated as transient and left to SQS redelivery.
 */
import { PermanentJobError, TransientJobError } from "@bluemoxon/core";

/** The source object is larger than `MAX_SOURCE_BYTES`. */
export class SourceTooLargeError extends PermanentJobError {
  override name = "SourceTooLargeError";
}

/** The source is empty (zero bytes). */
export class EmptySourceError extends PermanentJobError {
  override name = "EmptySourceError";
}

/** The bytes are not a raster format we accept (HTML, SVG, PDF, …). */
export class UnsupportedImageFormatError extends PermanentJobError {
  override name = "UnsupportedImageFormatError";
}

/** The bytes claim a supported format but cannot be decoded (truncated, corrupt). */
export class UndecodableImageError extends PermanentJobError {
  override name = "UndecodableImageError";
}

/** Width × height exceeds `MAX_INPUT_PIXELS` (decompression bombs). */
export class ImageTooLargeError extends PermanentJobError {
  override name = "ImageTooLargeError";
}

/** Too small to hold a book (e.g. a 1×1 tracking pixel). */
export class ImageTooSmallError extends PermanentJobError {
  override name = "ImageTooSmallError";
}

/** The source object does not exist (deleted, wrong key). Retrying cannot bring it back. */
export class SourceMissingError extends PermanentJobError {
  override name = "SourceMissingError";
}

/**
 * The job row the message names is not there (yet): the message overtook the commit that creates
 * it. Transient, but not worth the queue's whole visibility timeout: the entry point makes the
 * message visible again after `retryAfterSeconds`.
 */
export class JobNotReadyError extends TransientJobError {
  override name = "JobNotReadyError";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** S3 or database trouble that may pass: the record is reported failed so SQS redelivers it. */
export class StorageUnavailableError extends TransientJobError {
  override name = "StorageUnavailableError";
}

/** A record the handler did not start because the invocation was running out of time. */
export class RecordNotStartedError extends TransientJobError {
  override name = "RecordNotStartedError";
}

/** Background removal took longer than `JOB_TIMEOUT_MS`: transient (a slow moment), retried. */
export class ProcessingTimeoutError extends TransientJobError {
  override name = "ProcessingTimeoutError";
}
