/** Messages between the trigger and a handler child process (Node IPC, JSON-serialisable). */

export interface InvokeContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  memoryLimitInMB: string;
  invokedFunctionArn: string;
  logGroupName: string;
  logStreamName: string;
  /** Epoch ms at which the invocation times out. */
  deadlineMs: number;
}

export type ParentMessage = { type: "invoke"; id: number; event: unknown; context: InvokeContext };

export type ChildMessage =
  | { type: "ready" }
  | { type: "init-error"; error: SerializedError }
  | { type: "result"; id: number; ok: true; value: unknown }
  | { type: "result"; id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** Environment variable through which the child learns which module and export to load. */
export const handlerEnvVar = "_HANDLER_MODULE";
export const handlerExportEnvVar = "_HANDLER_EXPORT";
