/** Reading a request body with a cap, and answering without reading the rest. */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The body, or "too-large" as soon as more than `limit` bytes arrived (the rest is not read),
 * or "aborted" when the client went away first.
 */
export function readBody(raw: IncomingMessage, limit: number): Promise<Buffer | "too-large" | "aborted"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: Buffer | "too-large" | "aborted") => {
      raw.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        raw.pause();
        done("too-large");
      } else chunks.push(chunk);
    };
    const onEnd = () => done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    const onError = (error: Error) => {
      raw.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      reject(error);
    };
    const onClose = () => {
      if (!raw.complete) done("aborted");
    };
    raw.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

/** The response, marked to close its connection once sent: what the client still sends is never read. */
export function closeAfterReply(res: ServerResponse): ServerResponse {
  res.shouldKeepAlive = false;
  res.setHeader("connection", "close");
  return res;
}
