/** The request and reply shapes shared by the service handlers, so routing, faults and IAM stay protocol-agnostic. */
import type { ServerResponse } from "node:http";

export interface EmulatorRequest {
  method: string;
  /** Raw (still percent-encoded) path, as signed by SigV4. */
  rawPath: string;
  rawQuery: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  requestId: string;
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

export function sendReply(res: ServerResponse, reply: HttpReply, requestId: string, headOnly = false): void {
  const body = reply.body === undefined ? undefined : typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
  const headers: Record<string, string | number> = { "x-amzn-requestid": requestId, "x-amz-request-id": requestId, ...reply.headers };
  if (headers["content-length"] === undefined) headers["content-length"] = body?.length ?? 0;
  res.writeHead(reply.status, headers);
  if (body && !headOnly && reply.status !== 304 && reply.status !== 204) res.end(body);
  else res.end();
}

export function jsonReply(status: number, value: unknown, contentType = "application/json"): HttpReply {
  return { status, headers: { "content-type": contentType }, body: JSON.stringify(value) };
}
