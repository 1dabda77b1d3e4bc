/**
 * How compose's mapping stops a timed-out environment: it finds the container by the address its
 * runtime called from and restarts it through the Docker Engine API on the mounted socket. Here
 * against a stand-in engine on a unix socket that answers the two calls as the Engine API
 * documents them (GET /containers/json; POST /containers/{id}/restart → 204).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerRestarter } from "@bluemoxon/event-source-mapping/docker-restart";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "bmx-engine-"));
const socketPath = join(dir, "docker.sock");
const calls: string[] = [];
let engine: Server;

beforeAll(async () => {
  engine = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    if (req.method === "GET" && req.url === "/containers/json") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(
        JSON.stringify([
          { Id: "aaa", Names: ["/proj_worker_1"], NetworkSettings: { Networks: { proj_default: { IPAddress: "172.18.0.7" } } } },
          { Id: "bbb", Names: ["/proj_worker_2"], NetworkSettings: { Networks: { proj_default: { IPAddress: "172.18.0.8" } } } },
        ]),
      );
    }
    if (req.method === "POST" && req.url?.startsWith("/containers/bbb/restart")) {
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(404);
    res.end("{}");
  });
  await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => engine.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("dockerRestarter", () => {
  it("restarts the container with the address (IPv4-mapped as Node reports it) at once", async () => {
    calls.length = 0;
    await dockerRestarter(socketPath)("::ffff:172.18.0.8");
    expect(calls).toEqual(["GET /containers/json", "POST /containers/bbb/restart?t=0"]);
  });
  it("says so when no container has the address, and restarts nothing", async () => {
    calls.length = 0;
    await expect(dockerRestarter(socketPath)("172.18.0.99")).rejects.toThrow("no running container has the address 172.18.0.99");
    expect(calls).toEqual(["GET /containers/json"]);
  });
  it("reports an engine that refuses the restart", async () => {
    await expect(dockerRestarter(socketPath)("172.18.0.7")).rejects.toThrow("restart /proj_worker_1 → 404");
  });
});
