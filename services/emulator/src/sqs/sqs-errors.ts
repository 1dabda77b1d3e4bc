/** SQS error codes with their query-protocol names (what `x-amzn-query-error` and XML replies carry). */
import { AwsServiceError } from "../errors.ts";

const queryCodes: Record<string, string> = {
  QueueDoesNotExist: "AWS.SimpleQueueService.NonExistentQueue",
  TooManyEntriesInBatchRequest: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
  EmptyBatchRequest: "AWS.SimpleQueueService.EmptyBatchRequest",
  BatchEntryIdsNotDistinct: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
  InvalidBatchEntryId: "AWS.SimpleQueueService.InvalidBatchEntryId",
  BatchRequestTooLong: "AWS.SimpleQueueService.BatchRequestTooLong",
  UnsupportedOperation: "AWS.SimpleQueueService.UnsupportedOperation",
  MessageNotInflight: "AWS.SimpleQueueService.MessageNotInflight",
  PurgeQueueInProgress: "AWS.SimpleQueueService.PurgeQueueInProgress",
  QueueDeletedRecently: "AWS.SimpleQueueService.QueueDeletedRecently",
  ThrottlingException: "ThrottlingException",
};

export function sqsError(code: string, message: string, status = 400): AwsServiceError {
  return new AwsServiceError(code, message, status, { queryCode: queryCodes[code] ?? code });
}

export const queueDoesNotExist = () => sqsError("QueueDoesNotExist", "The specified queue does not exist for this wsdl version.");
export const invalidParameter = (message: string) => sqsError("InvalidParameterValue", message);
export const missingParameter = (name: string) => sqsError("MissingParameter", `The request must contain the parameter ${name}.`);
