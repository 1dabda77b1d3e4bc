/**
 * A TCP proxy in front of PostgreSQL that cuts the connection when the client sends a chosen
 * statement: both sockets are destroyed before the bytes reach the server, as an Aurora failover
 * or a dropped NAT entry would do mid-query.
 *
 * @example
 * const proxy = await startCuttingProxy(db.url);
 * const cut = proxy.cutOn("UPDATE image_jobs SET status = 'completed'");
 * // … run the code under test against proxy.url …
 * await cut; // resolves when the cut happened
 * await proxy.close();
 */
import { createConnection, createServer, type Socket } from "node:net";

export interface CuttingProxy {
  /** The upstream URL with host and port replaced by the proxy's. */
  url: string;
  /** Cuts the next connection whose client sends bytes containing `marker`; resolves when done. */
  cutOn(marker: string): Promise<void>;
  /** How many connections were cut so far. */
  cuts(): number;
  /** Drops every cut not yet made (their promises resolve). */
  disarm(): void;
  close(): Promise<void>;
}

export async function startCuttingProxy(upstreamUrl: string): Promise<CuttingProxy> {
  const upstream = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  const armed: { marker: string; done: () => void }[] = [];
  let cuts = 0;
  const server = createServer((client) => {
    const server = createConnection({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    sockets.add(client);
    sockets.add(server);
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on("error", end).on("close", end);
    server.on("error", end).on("close", end);
    server.on("data", (chunk) => client.write(chunk));
    client.on("data", (chunk) => {
      const text = chunk.toString("latin1");
      const hit = armed.findIndex((a) => text.includes(a.marker));
      if (hit >= 0) {
        const [{ done }] = armed.splice(hit, 1);
        cuts++;
        end();
        done();
        return;
      }
      server.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(upstreamUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    cutOn: (marker) => new Promise<void>((done) => armed.push({ marker, done })),
    cuts: () => cuts,
    disarm() {
      for (const a of armed.splice(0)) a.done();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
