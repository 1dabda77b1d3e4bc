/**
 * A body over the limit is refused with 413 before it is read; the rest of it must not be parsed
 * as the next request on the same keep-alive connection. One socket (keep-alive, maxSockets 1):
 * a 3 MB POST, then two GETs — each must get its own answer.
 */
import { Agent, request } from "node:http";
import { describe, expect } from "vitest";
import { type ApiHarness, apiKey, apiTest as it } from "./support/api-harness.ts";

function send(
  h: ApiHarness,
  agent: Agent,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; text: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, h.api.url);
    const req = request(
      url,
      {
        method,
        agent,
        headers: { "x-api-key": apiKey, ...(body ? { "content-type": "application/json", "content-length": String(body.length) } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => resolve({ status: res.statusCode!, text, connection: res.headers.connection }));
        res.on("error", reject);
      },
    );
    // The server may answer and close before the whole body is written: that is allowed.
    req.on("error", reject);
    if (body) req.end(body);
    else req.end();
  });
}

describe("a refused oversized body", () => {
  it("answers 413 and the next two requests on the connection get their own answers", async ({ h }) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = Buffer.from(JSON.stringify({ url: `https://www.ebay.com/itm/1?pad=${"x".repeat(3 * 1024 * 1024)}` }));
      const refused = await send(h, agent, "POST", "/api/v1/books/import/ebay", big).catch((error: Error) => ({
        status: -1,
        text: error.message,
      }));
      expect(refused.status).toBe(413);
      expect("connection" in refused && refused.connection).toBe("close");
      const first = await send(h, agent, "GET", "/health");
      const second = await send(h, agent, "GET", "/api/v1/books?limit=1");
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(JSON.parse(first.text)).toEqual({ status: "ok" });
      expect(JSON.parse(second.text)).toHaveProperty("items");
    } finally {
      agent.destroy();
    }
  });
});
