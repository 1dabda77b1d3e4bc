/**
 * PGlite (Postgres compiled to WASM, in this process) served over the Postgres wire protocol,
 * so the API and worker processes of `npm start` connect to it with an ordinary `DATABASE_URL`.
 *
 * PGlite has ONE session. Many client connections therefore take turns, and a turn must never
 * end inside a transaction or inside an extended-protocol exchange (Parse/Bind/Execute … Sync),
 * or one process's statements would run in another's transaction. A connection takes the session
 * with its first message and gives it back only after a Sync or simple Query (or its startup)
 * when the session is idle, not in a transaction. Written here rather than using
 * `@electric-sql/pglite-socket`'s multiplexer because that one switches connections between any
 * two protocol messages when no transaction is open, which can split a Parse/Bind/Execute/Sync
 * pipeline; its server class has no hook to change that.
 *
 * The one rule this imposes on callers: code inside a transaction must not wait for a query on
 * another connection (with one session, it would wait for itself). Use the transaction's `tx`.
 */
import { createServer, type Server, type Socket } from "node:net";
import { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export interface PgliteServerOptions {
  /** Folder for the database files; memory only when unset. */
  dataDir?: string;
  port?: number;
  host?: string;
}

export interface PgliteServer {
  url: string;
  port: number;
  db: PGlite;
  /** Connections that had to wait for the session, and how many sessions were handed over. */
  stats(): { connections: number; handovers: number; waits: number };
  close(): Promise<void>;
}

class SessionLock {
  private owner: object | null = null;
  private waiting: { who: object; resolve: () => void }[] = [];
  handovers = 0;
  waits = 0;

  isOwner(who: object) {
    return this.owner === who;
  }

  async acquire(who: object): Promise<void> {
    if (this.owner === who) return;
    if (this.owner === null) {
      this.owner = who;
      this.handovers++;
      return;
    }
    this.waits++;
    await new Promise<void>((resolve) => this.waiting.push({ who, resolve }));
  }

  release(who: object) {
    if (this.owner !== who) return;
    const next = this.waiting.shift();
    this.owner = next?.who ?? null;
    if (next) {
      this.handovers++;
      next.resolve();
    }
  }

  forget(who: object) {
    this.waiting = this.waiting.filter((w) => w.who !== who);
  }
}

/**
 * @example
 * const pg = await startPgliteServer({ dataDir: ".local/pglite", port: 0 });
 * process.env.DATABASE_URL = pg.url;
 */
export async function startPgliteServer({ dataDir, port = 0, host = "127.0.0.1" }: PgliteServerOptions = {}): Promise<PgliteServer> {
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  const lock = new SessionLock();
  const sockets = new Set<Socket>();
  let connections = 0;

  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.setNoDelay(true);
    const me = {};
    let buffer = Buffer.alloc(0);
    let started = false;
    let chain = Promise.resolve();
    let closed = false;

    const runMessage = async (message: Uint8Array, boundary: boolean, terminate: boolean) => {
      await lock.acquire(me);
      if (closed) return lock.release(me);
      if (!terminate) {
        await db.execProtocolRawStream(message, {
          onRawData: (data) => {
            if (!socket.destroyed) socket.write(Buffer.from(data));
          },
        });
      }
      if (terminate) {
        await abandon();
        socket.end();
      } else if (boundary && !db.isInTransaction()) {
        // Give the session back only between transactions, at the end of a request cycle.
        lock.release(me);
      }
    };

    // A client that leaves (Terminate or a dropped socket) must not leave its transaction open
    // for the next one to run inside.
    const abandon = async () => {
      if (!lock.isOwner(me)) return;
      if (!db.closed && db.isInTransaction()) await db.exec("ROLLBACK").catch(() => {});
      lock.release(me);
    };

    const onClose = async () => {
      if (closed) return;
      closed = true;
      sockets.delete(socket);
      lock.forget(me);
      await chain.catch(() => {});
      await abandon();
    };

    socket.on("data", (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const len = buffer.readInt32BE(0);
          if (buffer.length < len) return;
          const code = buffer.readInt32BE(4);
          const message = buffer.subarray(0, len);
          buffer = buffer.subarray(len);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            socket.write("N");
            continue;
          }
          if (code === CANCEL_REQUEST) {
            socket.end();
            return;
          }
          started = true;
          const copy = Uint8Array.from(message);
          chain = chain.then(() => runMessage(copy, true, false));
          continue;
        }
        if (buffer.length < 5) return;
        const len = 1 + buffer.readInt32BE(1);
        if (buffer.length < len) return;
        const type = String.fromCharCode(buffer[0]);
        const message = Uint8Array.from(buffer.subarray(0, len));
        buffer = buffer.subarray(len);
        const boundary = type === "S" || type === "Q";
        chain = chain.then(() => runMessage(message, boundary, type === "X"));
      }
    });
    socket.on("error", () => void onClose());
    socket.on("close", () => void onClose());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as { port: number }).port;
  return {
    url: `postgres://postgres:postgres@${host}:${actualPort}/postgres?sslmode=disable`,
    port: actualPort,
    db,
    stats: () => ({ connections, handovers: lock.handovers, waits: lock.waits }),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
