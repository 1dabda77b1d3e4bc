/**
 * Entry point of a handler child process: the local stand-in for a warm Lambda runtime.
 * It imports the handler module once (the "init" phase), then answers invocations sent over
 * IPC one at a time. Uncaught exceptions and `process.exit` end the process on purpose: the
 * parent counts that as a crashed invocation and starts a fresh child, as Lambda does.
 */
import { pathToFileURL } from "node:url";
import {
  type ChildMessage,
  handlerEnvVar,
  handlerExportEnvVar,
  type InvokeContext,
  type ParentMessage,
  type SerializedError,
} from "./child-protocol.ts";

type Handler = (event: unknown, context: unknown, callback?: (error?: unknown, result?: unknown) => void) => unknown;

function send(message: ChildMessage): void {
  process.send?.(message);
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: "Error", message: String(error) };
}

function lambdaContext(info: InvokeContext) {
  return {
    awsRequestId: info.awsRequestId,
    functionName: info.functionName,
    functionVersion: info.functionVersion,
    memoryLimitInMB: info.memoryLimitInMB,
    invokedFunctionArn: info.invokedFunctionArn,
    logGroupName: info.logGroupName,
    logStreamName: info.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, info.deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Async handlers return a promise; callback-style ones (three parameters) answer through the callback. */
function invoke(handler: Handler, event: unknown, context: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error?: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    const returned = handler(event, context, callback);
    if (returned && typeof (returned as Promise<unknown>).then === "function") {
      (returned as Promise<unknown>).then(
        (value) => callback(undefined, value),
        (error) => callback(error ?? new Error("handler rejected")),
      );
    } else if (handler.length < 3) {
      callback(undefined, returned);
    }
  });
}

// The IPC channel closes when the trigger's process is gone, however it ended (SIGKILL included):
// a handler child never outlives it, on any OS. Its open clients would otherwise keep it running.
process.on("disconnect", () => process.exit(0));

async function main(): Promise<void> {
  const modulePath = process.env[handlerEnvVar];
  const exportName = process.env[handlerExportEnvVar] || "handler";
  let handler: Handler;
  try {
    if (!modulePath) throw new Error(`${handlerEnvVar} is required`);
    const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
    const candidate = mod[exportName];
    if (typeof candidate !== "function") throw new Error(`${modulePath} has no exported function "${exportName}"`);
    handler = candidate as Handler;
  } catch (error) {
    send({ type: "init-error", error: serializeError(error) });
    return;
  }

  process.on("message", async (message: ParentMessage) => {
    if (message?.type !== "invoke") return;
    try {
      const value = await invoke(handler, message.event, lambdaContext(message.context));
      // Lambda returns JSON; a value that does not survive JSON is a malformed answer, not a crash.
      const json = value === undefined ? undefined : JSON.parse(JSON.stringify(value) ?? "null");
      send({ type: "result", id: message.id, ok: true, value: json });
    } catch (error) {
      send({ type: "result", id: message.id, ok: false, error: serializeError(error) });
    }
  });
  send({ type: "ready" });
}

await main();
