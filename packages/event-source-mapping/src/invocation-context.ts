/**
 * What Lambda tells a function about itself: the reserved environment variables of its execution
 * environment, and per invocation the context (request id, deadline, ARN, log stream). One place,
 * so the child processes, the Runtime API and `invoke` give the handler the same facts.
 */
import { randomBytes } from "node:crypto";
import type { InvokeContext } from "./child-protocol.ts";

export interface FunctionIdentity {
  /** Physical name (`bluemoxon-local-image-worker`). */
  physicalName: string;
  region: string;
  accountId: string;
  memoryMb: number;
}

export const functionArn = (f: FunctionIdentity) => `arn:aws:lambda:${f.region}:${f.accountId}:function:${f.physicalName}`;
export const logGroupName = (f: FunctionIdentity) => `/aws/lambda/${f.physicalName}`;

/** Lambda's stream name: `YYYY/MM/DD/[$LATEST]` and 32 hex digits of the environment. */
export function logStreamName(environmentId: string = randomBytes(16).toString("hex"), now = new Date()): string {
  return `${now.toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${environmentId.replace(/-/g, "")}`;
}

/**
 * The variables Lambda sets in every execution environment (they win over the function's own).
 *
 * @example
 * const env = { ...functionEnv, ...lambdaReservedEnv(identity, { handler: "handler.handler", taskRoot: "/var/task" }) };
 */
export function lambdaReservedEnv(
  f: FunctionIdentity,
  options: { handler: string; taskRoot: string; runtimeApi?: string; logStream?: string },
): Record<string, string> {
  return {
    AWS_REGION: f.region,
    AWS_DEFAULT_REGION: f.region,
    AWS_LAMBDA_FUNCTION_NAME: f.physicalName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupName(f),
    AWS_LAMBDA_LOG_STREAM_NAME: options.logStream ?? logStreamName(),
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    LAMBDA_TASK_ROOT: options.taskRoot,
    _HANDLER: options.handler,
    ...(options.runtimeApi ? { AWS_LAMBDA_RUNTIME_API: options.runtimeApi } : {}),
  };
}

/** The context of one invocation, its deadline `timeoutMs` from now. */
export function invocationContext(
  f: FunctionIdentity,
  requestId: string,
  timeoutMs: number,
  logStream = logStreamName(requestId),
): InvokeContext {
  return {
    awsRequestId: requestId,
    functionName: f.physicalName,
    functionVersion: "$LATEST",
    memoryLimitInMB: String(f.memoryMb),
    invokedFunctionArn: functionArn(f),
    logGroupName: logGroupName(f),
    logStreamName: logStream,
    deadlineMs: Date.now() + timeoutMs,
  };
}

/** An X-Ray trace header of the documented shape (`Root=1-<8 hex time>-<24 hex>;Parent=…;Sampled=0`). */
export function traceId(now = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, "0");
  return `Root=1-${seconds}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}
