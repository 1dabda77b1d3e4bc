/** What a service's routing makes of a request: enough for faults and IAM to act before it runs. */
import type { HttpReply } from "./http-reply.ts";

export type ServiceName = "sqs" | "s3" | "secretsmanager";

export interface Authorization {
  action: string;
  resource: string;
}

export interface ServiceCall {
  operation: string;
  /** Queue name, bucket name or secret name, for fault matching. */
  resource?: string;
  /** The object key of an S3 call, for faults aimed at some objects of a bucket. */
  key?: string;
  /** IAM checks, all of which must pass. */
  authorizations: Authorization[];
  /** `principal` is the caller's access key id (SQS SenderId). Faults and IAM have passed. */
  run(principal: string | undefined): Promise<HttpReply> | HttpReply;
}
