/**
 * Where a peer backend (moto, LocalStack) differs from AWS's documented behaviour. The case keeps
 * AWS's assertion; the peer is marked here, by case title, so the deviation is visible and a fix
 * in the peer turns an `it.fails` red. The embedded emulator never gets an entry: it must match AWS.
 */
export interface Deviation {
  /** `fails`: run it and expect it to fail; `skip`: do not run (it would hang or break later cases). */
  mode: "fails" | "skip";
  reason: string;
}

export const knownDeviations: Record<string, Record<string, Deviation>> = {
  moto: {
    "sqs: ListQueues pages with MaxResults and NextToken": {
      mode: "fails",
      reason: "moto 5.2 ignores MaxResults/NextToken on ListQueues and returns every queue",
    },
    "s3: an expired presigned URL is refused with 403 AccessDenied": {
      mode: "fails",
      reason: "moto 5.2 does not check presigned URL expiry (X-Amz-Expires)",
    },
    "sqs: SetQueueAttributes with VisibilityTimeout 43201 is InvalidAttributeValue": {
      mode: "fails",
      reason: "moto 5.2 accepts any VisibilityTimeout without range checks",
    },
    "secrets: DeleteSecret with ForceDeleteWithoutRecovery removes it; reads are ResourceNotFoundException": {
      mode: "fails",
      reason: "moto 5.2 answers ResourceNotFoundException with HTTP 404; AWS documents 400",
    },
    "secrets: a missing secret is ResourceNotFoundException; a duplicate name is ResourceExistsException": {
      mode: "fails",
      reason: "moto 5.2 answers ResourceNotFoundException with HTTP 404; AWS documents 400",
    },
  },
  localstack: {},
};
