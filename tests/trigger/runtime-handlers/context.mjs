// Test handler for the real runtime interface client: answers with what Lambda told it
// (context, reserved variables) and whether its code folder and /tmp can be written.
import { writeFileSync } from "node:fs";

const tryWrite = (path) => {
  try {
    writeFileSync(path, "x");
    return "written";
  } catch (error) {
    return error.code;
  }
};

export const handler = async (event, context) => {
  if (event.fail) throw new TypeError(`asked to fail: ${event.fail}`);
  if (event.exit) process.exit(3);
  return {
    event,
    context: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      memoryLimitInMB: context.memoryLimitInMB,
      invokedFunctionArn: context.invokedFunctionArn,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      remainingMs: context.getRemainingTimeInMillis(),
    },
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("AWS_LAMBDA_") || k === "_X_AMZN_TRACE_ID")),
    uid: process.getuid(),
    writes: { taskRoot: tryWrite("/var/task/written-by-handler"), tmp: tryWrite("/tmp/written-by-handler") },
  };
};
