/** What every service handler produces from a request: enough for faults and IAM to act before it runs. */
import type { AwsServiceError } from "./errors.ts";
import type { HttpReply } from "./http-reply.ts";

export type ServiceName = "sqs" | "s3" | "secretsmanager";

export interface Authorization {
  action: string;
  resource: string;
}

export interface ServiceCall {
  service: ServiceName;
  operation: string;
  /** Queue name, bucket name or secret id, for fault matching. */
  resource?: string;
  /** IAM checks, all of which must pass. */
  authorizations: Authorization[];
  /** `principal` is the caller's access key id (SQS SenderId). */
  run(principal: string | undefined): Promise<HttpReply> | HttpReply;
  renderError(error: AwsServiceError): HttpReply;
}
