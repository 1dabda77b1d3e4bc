/**
 * The Lambda Runtime API (version 2018-06-01), served by the mapping: execution environments —
 * the worker image's runtime interface client, or any custom runtime — pull their invocations
 * from it exactly as on Lambda:
 *
 *   GET  /2018-06-01/runtime/invocation/next          long poll; the event, with
 *        Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id
 *   POST /2018-06-01/runtime/invocation/{id}/response the result (202)
 *   POST /2018-06-01/runtime/invocation/{id}/error    a function error (202)
 *   POST /2018-06-01/runtime/init/error               the handler could not load (202)
 *
 * On Lambda every environment has a Runtime API of its own; here one server serves a pool of
 * them and tells them apart by the address they call from (one container each under compose).
 * A runtime never asks for the next event while one is unanswered, so a `next` from an
 * environment that holds an invocation means its process started again: that invocation
 * crashed (exit, out of memory) and its batch is kept. Every answer carries a content-length
 * (the runtime client's HTTP layer reads bodies by it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@bluemoxon/core";
import type { InvokeContext } from "./child-protocol.ts";
import { InvocationError } from "./errors.ts";
import type { ExecutionEnvironment } from "./execution-environment.ts";
import { traceId } from "./invocation-context.ts";

const base = "/2018-06-01/runtime";
/** Lambda's limit for a synchronous response (and for the request). */
export const maxPayloadBytes = 6 * 1024 * 1024;

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

const problem = (errorType: string, errorMessage: string) => ({ errorType, errorMessage });

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxPayloadBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

interface Pending {
  requestId: string;
  body: string;
  context: InvokeContext;
  delivered: boolean;
  resolve(value: unknown): void;
  reject(error: InvocationError): void;
  timer: NodeJS.Timeout;
}

/** One execution environment behind the Runtime API (a container, a runtime process). */
export class RuntimeEnvironment implements ExecutionEnvironment {
  /** Its `next` request, waiting for an invocation. */
  private parked?: ServerResponse;
  private pending?: Pending;
  private dead = false;
  /** Its invocation timed out: the handler may still be running in it. */
  private timedOut = false;
  claimed = false;
  readonly pid = undefined;

  constructor(
    /** The address it calls from. */
    readonly key: string,
    private readonly onKill: (env: RuntimeEnvironment) => void,
    private readonly onDeath: (env: RuntimeEnvironment) => void,
  ) {}

  get alive(): boolean {
    return !this.dead;
  }

  /** True while it waits on `next` with nothing to run. */
  get idle(): boolean {
    return !this.dead && this.parked !== undefined && !this.pending;
  }

  /** True while its runtime has an invocation it has not answered. */
  get running(): boolean {
    return this.pending?.delivered === true;
  }

  invoke(event: unknown, context: InvokeContext, timeoutMs: number): Promise<unknown> {
    if (this.dead) return Promise.reject(new InvocationError("crash", "execution environment is gone"));
    if (this.pending) return Promise.reject(new InvocationError("error", "execution environment is busy"));
    const body = JSON.stringify(event ?? null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.timer !== timer) return;
        this.pending = undefined;
        // The handler may still be running in it: it is not reused, and the caller kills it.
        this.timedOut = true;
        reject(new InvocationError("timeout", `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
      }, timeoutMs);
      this.pending = { requestId: context.awsRequestId, body, context, delivered: false, resolve, reject, timer };
      this.deliver();
    });
  }

  /** A `GET …/invocation/next` from this environment's runtime. */
  next(res: ServerResponse): void {
    this.parked?.destroy();
    this.parked = res;
    res.once("close", () => {
      // The runtime went away while waiting (its process ended): nothing was lost, but it is gone.
      if (this.parked === res && !res.writableFinished) {
        this.parked = undefined;
        this.die("its runtime disconnected while waiting for an invocation");
      }
    });
    this.deliver();
  }

  private deliver(): void {
    const p = this.pending;
    const res = this.parked;
    if (!p || p.delivered || !res) return;
    p.delivered = true;
    this.parked = undefined;
    reply(res, 200, p.body, {
      "lambda-runtime-aws-request-id": p.requestId,
      "lambda-runtime-deadline-ms": String(p.context.deadlineMs),
      "lambda-runtime-invoked-function-arn": p.context.invokedFunctionArn,
      "lambda-runtime-trace-id": traceId(),
    });
  }

  /** Whether `requestId` is the invocation this environment runs now. */
  runs(requestId: string): boolean {
    return this.pending?.delivered === true && this.pending.requestId === requestId;
  }

  /** Its answer: a result, or a function error. */
  answer(outcome: { ok: true; value: unknown } | { ok: false; error: InvocationError }): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (outcome.ok) p.resolve(outcome.value);
    else p.reject(outcome.error);
  }

  /** It is gone; a running invocation crashed with it. */
  die(reason?: string): void {
    if (this.dead) return;
    this.dead = true;
    this.parked?.destroy();
    this.parked = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new InvocationError("crash", `execution environment ended during the invocation (${reason ?? "gone"})`));
    }
    this.onDeath(this);
  }

  /**
   * Never used again. One that was running the handler (timed out) is stopped through
   * `killEnvironment`, as Lambda stops it; an idle one is only let go (the mapping stops).
   */
  kill(): void {
    const wasRunning = !this.dead && (this.pending !== undefined || this.timedOut);
    this.die("killed");
    if (wasRunning) this.onKill(this);
  }

  async exit(): Promise<void> {}
}

export interface RuntimeApiOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  log: Logger;
  /**
   * How an environment that timed out is ended (Lambda stops it): e.g. restart its container.
   * Without it the environment is only never used again.
   */
  killEnvironment?: (key: string) => Promise<void> | void;
  /** Which environment a request comes from (default: its remote address). */
  identify?: (req: IncomingMessage) => string;
}

/**
 * @example
 * const api = await RuntimeApi.listen({ log });
 * // docker run -e AWS_LAMBDA_RUNTIME_API=${api.address} worker-image
 * const env = await api.claim(10_000);
 * const result = await env.invoke(event, context, 120_000);
 */
export class RuntimeApi {
  private readonly environments = new Map<string, RuntimeEnvironment>();
  private readonly claims: { resolve(env: RuntimeEnvironment): void; reject(error: Error): void; timer?: NodeJS.Timeout }[] = [];
  private closed = false;
  private claimsStopped = false;
  readonly initErrors: { key: string; errorType: string; errorMessage: string; at: string }[] = [];

  private constructor(
    private readonly server: Server,
    private readonly o: RuntimeApiOptions,
  ) {}

  static async listen(options: RuntimeApiOptions): Promise<RuntimeApi> {
    let api: RuntimeApi | undefined;
    const server = createServer((req, res) => {
      api?.route(req, res).catch((error: Error) => {
        if (!res.headersSent) reply(res, 500, problem("ServiceException", error.message));
      });
    });
    api = new RuntimeApi(server, options);
    // A waiting `next` is answered when there is work, however long that takes.
    server.requestTimeout = 0;
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    return api;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `host:port`, as `AWS_LAMBDA_RUNTIME_API` wants it. */
  get address(): string {
    const host = this.o.host && this.o.host !== "0.0.0.0" && this.o.host !== "::" ? this.o.host : "127.0.0.1";
    return `${host}:${this.port}`;
  }

  /** Environments whose runtime has called in and that are alive. */
  live(): RuntimeEnvironment[] {
    return [...this.environments.values()].filter((e) => e.alive);
  }

  /**
   * An environment no slot holds, waiting for its runtime to call in if none has: rejects with an
   * init error the runtime reports, or a timeout after `timeoutMs` (none: waits until `stopClaims()`).
   */
  claim(timeoutMs?: number): Promise<RuntimeEnvironment> {
    if (this.closed || this.claimsStopped) return Promise.reject(new InvocationError("error", "the Runtime API is closed"));
    const free = this.live().find((e) => !e.claimed && e.idle);
    if (free) {
      free.claimed = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve, reject) => {
      const waiter: (typeof this.claims)[number] = {
        resolve: (env) => {
          clearTimeout(waiter.timer);
          resolve(env);
        },
        reject: (error) => {
          clearTimeout(waiter.timer);
          reject(error);
        },
      };
      if (timeoutMs !== undefined)
        waiter.timer = setTimeout(() => {
          this.claims.splice(this.claims.indexOf(waiter), 1);
          reject(new InvocationError("timeout", `no execution environment called the Runtime API within ${timeoutMs} ms (init timeout)`));
        }, timeoutMs);
      this.claims.push(waiter);
    });
  }

  private offer(env: RuntimeEnvironment): void {
    if (env.claimed || !env.idle) return;
    const waiter = this.claims.shift();
    if (!waiter) return;
    env.claimed = true;
    waiter.resolve(env);
  }

  private environmentFor(key: string): RuntimeEnvironment {
    let env = this.environments.get(key);
    if (!env?.alive) {
      env = new RuntimeEnvironment(
        key,
        (e) => {
          this.o.log.warn("execution environment stopped", { environment: e.key });
          void Promise.resolve(this.o.killEnvironment?.(e.key)).catch((error: Error) =>
            this.o.log.warn("cannot stop the execution environment", { environment: e.key, error: error.message }),
          );
        },
        (e) => {
          if (this.environments.get(e.key) === e) this.environments.delete(e.key);
        },
      );
      this.environments.set(key, env);
      this.o.log.info("execution environment ready", { environment: key });
    }
    return env;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = this.o.identify?.(req) ?? req.socket.remoteAddress ?? "unknown";
    const path = new URL(req.url ?? "/", "http://runtime").pathname;
    if (this.closed) return reply(res, 500, problem("ServiceException", "the mapping is stopping"));
    if (path === `${base}/invocation/next`) {
      if (req.method !== "GET") return reply(res, 405, problem("MethodNotAllowed", "use GET"));
      let env = this.environmentFor(key);
      if (env.running) {
        // A runtime asks for the next event only after answering: this one's process started again.
        env.die("its runtime started again: the process exited or was killed, e.g. out of memory");
        env = this.environmentFor(key);
      }
      env.next(res);
      this.offer(env);
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (m || path === `${base}/init/error`) {
      if (req.method !== "POST") return reply(res, 405, problem("MethodNotAllowed", "use POST"));
      const body = await readBody(req);
      if (body === undefined) {
        const env = this.environments.get(key);
        const error = new InvocationError("error", `response larger than ${maxPayloadBytes} bytes (Lambda's limit)`);
        if (m && env?.runs(decodeURIComponent(m[1]))) env.answer({ ok: false, error });
        return reply(res, 413, problem("RequestEntityTooLarge", error.message));
      }
      if (!m) return this.initError(key, body, req, res);
      const [, id, kind] = m;
      const env = this.environments.get(key);
      if (!env?.runs(decodeURIComponent(id))) return reply(res, 400, problem("InvalidRequestID", `no invocation ${id} is running here`));
      if (kind === "response") {
        let value: unknown = body;
        try {
          value = body === "" ? null : JSON.parse(body);
        } catch {
          // Lambda passes a non-JSON payload through as is; the mapping then calls it malformed.
        }
        env.answer({ ok: true, value });
      } else {
        const error = parseError(body, req.headers["lambda-runtime-function-error-type"]);
        env.answer({ ok: false, error: new InvocationError("error", `${error.errorType}: ${error.errorMessage}`) });
      }
      return reply(res, 202, { status: "OK" });
    }
    return reply(res, 404, problem("NotFound", `no such Runtime API resource: ${req.method} ${path}`));
  }

  private initError(key: string, body: string, req: IncomingMessage, res: ServerResponse): void {
    const error = parseError(body, req.headers["lambda-runtime-function-error-type"]);
    this.initErrors.push({ key, ...error, at: new Date().toISOString() });
    this.o.log.warn("execution environment init failed", { environment: key, errorType: error.errorType, error: error.errorMessage });
    this.environments.get(key)?.die("init failed");
    // The batch waiting for an environment fails with the init error, as Lambda fails its invoke.
    this.claims.shift()?.reject(new InvocationError("error", `handler init failed: ${error.errorType}: ${error.errorMessage}`));
    reply(res, 202, { status: "OK" });
  }

  /** No more environments are handed out (whoever waits for one is refused); running ones go on. */
  stopClaims(): void {
    this.claimsStopped = true;
    for (const waiter of this.claims.splice(0)) waiter.reject(new InvocationError("error", "the Runtime API is closed"));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.claims.splice(0)) waiter.reject(new InvocationError("error", "the Runtime API is closed"));
    for (const env of this.environments.values()) env.die("the mapping stopped");
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function parseError(body: string, header: string | string[] | undefined): { errorType: string; errorMessage: string } {
  let parsed: { errorType?: unknown; errorMessage?: unknown } = {};
  try {
    parsed = JSON.parse(body) ?? {};
  } catch {
    // An unparseable error body still fails the invocation; its text is the message.
  }
  const errorType = typeof parsed.errorType === "string" ? parsed.errorType : typeof header === "string" ? header : "Error";
  const errorMessage = typeof parsed.errorMessage === "string" ? parsed.errorMessage : body.slice(0, 500);
  return { errorType, errorMessage };
}
