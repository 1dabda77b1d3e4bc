/**
 * A stand-in for a deployed API in the deploy tests (moto cannot run our images): checks the
 * X-API-Key like the real one; `/health/deep` can be made to fail always, or only while the new
 * version runs (`runsNew()`, e.g. the API function's `live` alias points at the promoted image).
 *
 * @example
 * const api = fakeApi("key-prod", async () => false);
 * const url = await listen(api.server);
 * api.state.failDeep = "always";
 */
import { createServer, type Server } from "node:http";

/**
 * `throttled()`: the function behind the API takes no invocation (reserved concurrency 0), so API
 * Gateway answers every request 503 as AWS does for a throttled integration.
 */
export function fakeApi(key: string, runsNew: () => Promise<boolean>, throttled: () => Promise<boolean> = async () => false) {
  const state: { failDeep: false | "always" | "new-version" } = { failDeep: false };
  const failing = async () => state.failDeep === "always" || (state.failDeep === "new-version" && (await runsNew()));
  const server: Server = createServer(async (req, res) => {
    const authed = req.headers["x-api-key"] === key;
    const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (await throttled()) return send(503, { message: "Service Unavailable" });
    if (req.url === "/health") return send(200, { status: "ok" });
    if (!authed) return send(401, { title: "Unauthorized" });
    if (req.url === "/health/deep")
      return (await failing()) ? send(503, { status: "fail", checks: { database: "down" } }) : send(200, { status: "ok" });
    if (req.url?.startsWith("/api/v1/books")) return send(200, { items: [] });
    return send(404, {});
  });
  return { server, state };
}

/** Listens on a free loopback port; resolves to the base URL. */
export const listen = (server: Server) =>
  new Promise<string>((ok) => server.listen(0, "127.0.0.1", () => ok(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
