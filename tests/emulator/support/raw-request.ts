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
