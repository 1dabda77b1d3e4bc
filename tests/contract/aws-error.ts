/** The parts of an SDK v3 service error a client can observe. */
export interface ObservedAwsError {
  name: string;
  message: string;
  /** Query-compatible error code (SQS JSON protocol: from `x-amzn-query-error`; S3: the XML `<Code>`). */
  Code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Awaits a call that must fail and returns its error, so a case can assert on the error's shape. */
export async function awsError(call: Promise<unknown>): Promise<ObservedAwsError> {
  try {
    await call;
  } catch (error) {
    return error as ObservedAwsError;
  }
  throw new Error("expected the AWS call to fail, but it succeeded");
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
