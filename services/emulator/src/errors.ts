/** Errors of the emulator. `AwsServiceError` is what a client sees; each service renders it in its own wire shape. */

export interface AwsErrorDetails {
  /** SQS query-protocol code (`AWS.SimpleQueueService.NonExistentQueue`); defaults to `code`. */
  queryCode?: string;
  /** Whether the client caused it (SQS `Sender`) or the server (`Receiver`); default: status < 500. */
  senderFault?: boolean;
  /** Extra elements of S3's XML error (`Key`, `BucketName`, `RangeRequested`, …). */
  fields?: Record<string, string>;
  /** Extra response headers (e.g. `retry-after`). */
  headers?: Record<string, string>;
}

/** An error that the emulated service returns to its client, as AWS would. */
export class AwsServiceError extends Error {
  override name = "AwsServiceError";
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details: AwsErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get senderFault(): boolean {
    return this.details.senderFault ?? this.status < 500;
  }
}

/** Bad emulator configuration or a broken data directory: a bug or a setup error, never sent to a client as AWS's. */
export class EmulatorError extends Error {
  override name = "EmulatorError";
}
