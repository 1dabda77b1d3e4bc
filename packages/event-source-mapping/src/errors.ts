/** Errors of the SQS trigger. Typed here, turned into log lines and batch outcomes by the trigger loop. */

/** The trigger could not start for a function (unknown function, queue not found, bad handler spec). */
export class TriggerStartError extends Error {
  override name = "TriggerStartError";
}

/** A handler invocation that did not produce a result: crash, timeout or thrown error. */
export class InvocationError extends Error {
  override name = "InvocationError";
  constructor(
    readonly kind: "error" | "crash" | "timeout",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
