/** One HTTP request sent exactly as written (no URL normalisation, no signing), for hostile-input tests of the emulator. */
import { request } from "node:http";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export function rawRequest(url: string, options: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      { host: target.hostname, port: target.port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A form-encoded POST as a web page's `<form method=post>` (or an old SDK) sends it. */
export function formPost(url: string, form: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return rawRequest(url, {
    method: "POST",
    path: "/",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: form,
  });
}

/**
 * Sends the request line and headers (declaring `content-length`) but no body, and resolves with
 * the answer: a server that answers has decided without reading the body.
 */
export function headersOnly(url: string, options: Omit<RawRequest, "body">): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      { host: target.hostname, port: target.port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
          req.destroy();
        });
      },
    );
    req.on("error", reject);
    req.flushHeaders();
  });
}

/**
 * Streams `chunk` again and again (chunked transfer encoding, honouring back-pressure) until the
 * server answers or closes the connection, or `maxBytes` were written. Resolves with how many
 * bytes the server let through and its status, if it answered.
 */
export function streamUntilRefused(
  url: string,
  options: Omit<RawRequest, "body">,
  chunk: Buffer,
  maxBytes: number,
): Promise<{ written: number; status?: number }> {
  return new Promise((resolve) => {
    const target = new URL(url);
    let written = 0;
    let status: number | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve({ written, status });
    };
    const req = request(
      { host: target.hostname, port: target.port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        status = res.statusCode;
        res.resume();
        res.on("end", finish);
      },
    );
    req.on("error", finish);
    req.on("close", finish);
    const pump = () => {
      while (!settled && written < maxBytes) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!settled) finish();
    };
    pump();
  });
}
