/**
 * Stops an execution environment that timed out the way Lambda does — it does not run on — when
 * the environments are containers: finds the container by the address it called the Runtime API
 * from and restarts it through the Docker Engine API on a mounted socket (compose's restart
 * policy alone would leave a hung handler running). Written here, not a Docker client library:
 * two HTTP calls on a unix socket.
 */
import { request } from "node:http";

function engine(socketPath: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { host: "docker" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

interface ContainerSummary {
  Id: string;
  Names?: string[];
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

/**
 * @example
 * const restart = dockerRestarter("/var/run/docker.sock");
 * await restart("172.18.0.7"); // the container with that address starts again
 */
export function dockerRestarter(socketPath: string): (address: string) => Promise<void> {
  return async (address) => {
    const ip = address.replace(/^::ffff:/, "");
    const list = await engine(socketPath, "GET", "/containers/json");
    if (list.status !== 200) throw new Error(`docker engine: GET /containers/json → ${list.status}`);
    const containers = JSON.parse(list.body) as ContainerSummary[];
    const found = containers.find((c) => Object.values(c.NetworkSettings?.Networks ?? {}).some((n) => n.IPAddress === ip));
    if (!found) throw new Error(`no running container has the address ${ip}`);
    const restarted = await engine(socketPath, "POST", `/containers/${found.Id}/restart?t=0`);
    if (restarted.status !== 204) throw new Error(`docker engine: restart ${found.Names?.[0] ?? found.Id} → ${restarted.status}`);
  };
}
