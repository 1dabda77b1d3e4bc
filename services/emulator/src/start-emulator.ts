/**
 * The embedded AWS: one node:http server on 127.0.0.1 answering SQS (JSON and query), S3
 * (path-style) and Secrets Manager (JSON 1.1), with fault injection, optional IAM enforcement,
 * optional persistence, and provisioning from `pipeline.json`.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Manifest, Provisioned } from "@bluemoxon/core";
// The logger module alone (not the package, which loads the AWS SDK): the CLI's bundle stays small.
import { createLogger, type Logger } from "../../../packages/core/src/logger.ts";
import { AdminGate } from "./admin-gate.ts";
import { browserAccess } from "./browser-access.ts";
import type { EmulatedService } from "./emulated-service.ts";
import { AwsServiceError, EmulatorError } from "./errors.ts";
import { FaultInjector } from "./fault-injector.ts";
import { type EmulatorRequest, type HttpReply, jsonReply, sendReply } from "./http-reply.ts";
import { type IamApi, IamGate, type IamOptions } from "./iam-gate.ts";
import { LoopbackHosts } from "./loopback-hosts.ts";
import { SnapshotWriter } from "./persistence/snapshot-writer.ts";
import { closeAfterReply, readBody } from "./read-body.ts";
import { S3Protocol } from "./s3/s3-protocol.ts";
import { SecretsProtocol } from "./secrets/secrets-protocol.ts";
import { SqsProtocol } from "./sqs/sqs-protocol.ts";
import { wireRecord } from "./wire-record.ts";

/** Core's logger: the emulator logs like every other process of the project. */
export type EmulatorLog = Logger;

export interface EmulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Persist queues, objects and secrets here; memory only when unset. */
  dataDir?: string;
  /** A parsed `pipeline.json` (or a path to one): its resources are provisioned at start. */
  manifest?: Manifest | string;
  environment?: string;
  /** Initial secret values by logical name (`api-key`), used by provisioning. */
  secretValues?: Record<string, string>;
  region?: string;
  iam?: IamOptions;
  log?: EmulatorLog;
  /** Token `/_emulator/*` requires (`authorization: Bearer <token>`); random per start when unset. */
  adminToken?: string;
}

export interface Emulator {
  url: string;
  port: number;
  region: string;
  accountId: string;
  faults: FaultInjector;
  iam: IamApi;
  /** The bearer token of `/_emulator/*` (also in `<dataDir>/admin-token`). */
  adminToken: string;
  /** What provisioning created (`provisionPipeline`'s result), when a manifest was given. */
  resources?: Provisioned;
  close(): Promise<void>;
}

const accountId = "000000000000";
const adminBodyLimit = 64 * 1024;
const silent = createLogger({ write: () => undefined });

/**
 * @example
 * const emulator = await startEmulator({ port: 0 });
 * const sqs = new SQSClient({ endpoint: emulator.url, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const { port = 4566, host = "127.0.0.1", dataDir, log = silent } = options;
  const region = options.region ?? "us-east-1";
  const iam = new IamGate(options.iam);

  // Idle keep-alive sockets stay open longer than SDK agents keep them, so a client never reuses a socket the server just closed.
  // A client has 30 s to send its headers and 15 min for a whole request (a 5 GiB PutObject at ~6 MB/s); the server never waits forever.
  const server = createServer({ keepAlive: true, headersTimeout: 30_000, requestTimeout: 15 * 60_000, keepAliveTimeout: 65_000 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host}:${actualPort}`;

  const writers: SnapshotWriter[] = [];
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const adminGate = new AdminGate({ token: options.adminToken, host });
  const hosts = new LoopbackHosts(host);
  if (dataDir) writeFileSync(join(dataDir, "admin-token"), adminGate.token, { mode: 0o600 });

  // Asked in order: S3 answers whatever the others do not claim.
  const factories = [SqsProtocol, SecretsProtocol, S3Protocol];
  const services: EmulatedService[] = factories.map((Service) => {
    let writer: SnapshotWriter | undefined;
    const service = new Service({ region, accountId, baseUrl: url, dataDir, onChange: (after) => writer?.markDirty(after) });
    if (dataDir) {
      const path = join(dataDir, service.state.file);
      writer = new SnapshotWriter(
        path,
        () => service.state.snapshot(),
        25,
        (error) => log.error("snapshot write failed", { path, error }),
      );
      writers.push(writer);
      const initial = SnapshotWriter.read(path);
      if (initial) service.state.restore(initial as never);
    }
    return service;
  });
  const faults = new FaultInjector(services.map((s) => s.name));

  const admin = (req: EmulatorRequest): HttpReply => {
    const path = req.rawPath.replace(/\/+$/, "");
    const refused = adminGate.refuse(req.headers);
    if (refused) return refused;
    try {
      if (path === "/_emulator/health" && req.method === "GET")
        return jsonReply(200, { status: "ok", services: services.map((s) => s.name) });
      if (path === "/_emulator/faults") {
        if (req.method === "GET") return jsonReply(200, faults.report());
        if (req.method === "POST") return jsonReply(201, { id: faults.add(JSON.parse(req.body.toString("utf8") || "{}")) });
        if (req.method === "DELETE") {
          faults.clear();
          return { status: 204 };
        }
      }
      const one = /^\/_emulator\/faults\/([^/]+)$/.exec(path);
      if (one && req.method === "DELETE")
        return faults.remove(decodeURIComponent(one[1])) ? { status: 204 } : jsonReply(404, { error: "no such fault" });
      if (path === "/_emulator/iam/calls") {
        if (req.method === "GET") return jsonReply(200, iam.calls());
        if (req.method === "DELETE") {
          iam.clearCalls();
          return { status: 204 };
        }
      }
      return jsonReply(404, { error: `no admin route ${req.method} ${path}` });
    } catch (error) {
      return jsonReply(400, { error: (error as Error).message });
    }
  };

  const handle = async (req: EmulatorRequest, res: ServerResponse, service: EmulatedService, cors?: Record<string, string>) => {
    const head = req.method === "HEAD";
    const reply = (r: HttpReply) => sendReply(res, cors ? { ...r, headers: { ...r.headers, ...cors } } : r, req.requestId, head);
    let operation = "unrouted";
    try {
      const call = service.route(req);
      operation = call.operation;
      if (faults.active) {
        const fault = faults.match(service.name, call.operation, call.resource, service.errors, call.key);
        if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
        if (fault?.error) throw fault.error;
      }
      const principal = iam.check(req, call, service.errors);
      reply(await call.run(principal));
    } catch (error) {
      if (error instanceof AwsServiceError) {
        reply(service.renderError(req, error));
        return;
      }
      log.error("emulator request failed", { service: service.name, operation, error });
      reply(service.renderError(req, service.errors.internal()));
    }
  };

  /**
   * Everything that can be decided from the request line and headers is, before a byte of the
   * body is read: the Host (DNS rebinding), whether a web page sent it (CORS), the signature as
   * far as the headers carry it, and the body cap of the operation. A refusal closes the
   * connection instead of reading what the client still sends.
   */
  const intake = async (raw: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = raw.url ?? "/";
    const q = target.indexOf("?");
    const rawPath = q < 0 ? target : target.slice(0, q);
    const rawQuery = q < 0 ? "" : target.slice(q + 1);
    const headers: Record<string, string> = wireRecord();
    for (const [k, v] of Object.entries(raw.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
    const req: EmulatorRequest = {
      method: raw.method ?? "GET",
      rawPath,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      headers,
      body: Buffer.alloc(0),
      requestId: randomUUID(),
    };
    if (rawPath.startsWith("/_emulator/")) {
      const body = await readBody(raw, adminBodyLimit);
      if (body === "aborted") return;
      if (body === "too-large")
        return sendReply(closeAfterReply(res), jsonReply(413, { error: "admin request body too large" }), req.requestId);
      req.body = body;
      return sendReply(res, admin(req), req.requestId);
    }
    const service = services.find((s) => s.accepts(req)) ?? services[services.length - 1];
    let cors: Record<string, string> | undefined;
    try {
      if (!hosts.allows(headers.host)) {
        throw service.errors.accessDenied(`The emulator answers loopback host names only, not "${headers.host ?? ""}".`);
      }
      cors = await browserAccess(req, service);
      if (cors && req.method === "OPTIONS") return sendReply(res, { status: 200, headers: cors }, req.requestId);
      iam.precheck(req, service.errors);
      const limit = service.bodyLimit(req);
      const declared = headers["content-length"] === undefined ? undefined : Number(headers["content-length"]);
      if (declared !== undefined && declared > limit) throw service.errors.tooLarge(limit, declared);
      const body = await readBody(raw, limit);
      if (body === "aborted") return;
      if (body === "too-large") throw service.errors.tooLarge(limit);
      req.body = body;
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      const reply = service.renderError(req, error);
      return sendReply(
        closeAfterReply(res),
        cors ? { ...reply, headers: { ...reply.headers, ...cors } } : reply,
        req.requestId,
        req.method === "HEAD",
      );
    }
    await handle(req, res, service, cors);
  };

  server.on("request", (raw: IncomingMessage, res: ServerResponse) => {
    intake(raw, res).catch((error) => {
      log.error("emulator reply failed", { error });
      if (!res.headersSent) closeAfterReply(res).writeHead(500).end();
    });
  });

  let resources: Provisioned | undefined;
  if (options.manifest !== undefined) {
    try {
      resources = await provision(url, region, options, iam);
    } catch (error) {
      await closeServer(server);
      throw new EmulatorError(`provisioning from the manifest failed: ${(error as Error).message}`, { cause: error });
    }
  }
  log.info("emulator ready", { url, dataDir: dataDir ?? null, iam: iam.enforce });

  let closing: Promise<void> | undefined;
  return {
    url,
    port: actualPort,
    region,
    accountId,
    faults,
    iam,
    adminToken: adminGate.token,
    resources,
    close() {
      closing ??= (async () => {
        for (const s of services) s.close?.();
        await closeServer(server);
        for (const w of writers) await w.flush();
      })();
      return closing;
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function provision(url: string, region: string, options: EmulatorOptions, iam: IamGate): Promise<Provisioned> {
  // Loaded only when needed: the AWS SDK is too heavy for a fast plain start.
  const core = await import("@bluemoxon/core");
  const manifest = typeof options.manifest === "string" ? core.loadManifest(options.manifest) : core.parseManifest(options.manifest);
  const clients = core.createAwsClients({ region, endpoint: url, credentials: iam.adminCredentials, forcePathStyle: true, maxAttempts: 1 });
  try {
    return await core.provisionPipeline({
      clients,
      manifest,
      environment: options.environment ?? "local",
      secretValues: options.secretValues,
      log: options.log,
    });
  } finally {
    clients.destroy();
  }
}
