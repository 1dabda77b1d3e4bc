import type { Context, SQSEvent } from "aws-lambda";
import { firstReceive, record } from "./record-invocation.ts";

/** Blocks its event loop on a record's first delivery, so it answers nothing, not even IPC; only SIGKILL ends it. */
export const handler = async (event: SQSEvent, context: Context): Promise<void> => {
  record(event, context, "start", Date.now());
  if (firstReceive(event)) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  }
};
