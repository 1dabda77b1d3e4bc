/**
 * AWS Lambda entry (container image, handler `lambda.handler`). One function answers:
 * - API Gateway v2 (HTTP API) events → the Hono app;
 * - EventBridge scheduled events → the retry sweep;
 * - `{ "action": "migrate" }` → database migrations (kept for releases deployed before the migrate function).
 * Dependencies are built once per container, on the first event.
 *
 * `migrateHandler` is the migrations' own entry point: the function `<prefix>-migrate` runs this
 * image with handler `lambda.migrateHandler` and a timeout in minutes (terraform/modules/pipeline),
 * go-live invokes its new version before any alias moves. It connects with a timeout that outlasts
 * an Aurora Serverless resume from zero capacity, and bounds each statement and lock wait.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createDb, type MigrateOptions, migrate, resolveDatabaseUrl, type Sql } from "@bluemoxon/core";
import type { Context } from "aws-lambda";
import { handle } from "hono/aws-lambda";
import { createApp } from "./app.ts";
import { type BuiltApiDeps, buildApiDeps } from "./build-api-deps.ts";
import { runRetrySweep } from "./jobs/run-retry-sweep.ts";

type AnyEvent = Record<string, unknown>;

/** Builds a handler around a dependency factory (tests pass their own). */
export function createLambdaHandler(getDeps: () => Promise<BuiltApiDeps>) {
  let http: ReturnType<typeof handle> | undefined;
  let depsPromise: Promise<BuiltApiDeps> | undefined;
  const deps = () => {
    depsPromise ??= getDeps();
    depsPromise.catch(() => {
      depsPromise = undefined;
    });
    return depsPromise;
  };
  return async (event: AnyEvent, context: Context) => {
    const d = await deps();
    if (event?.action === "migrate") {
      const result = await migrate(d.sql);
      d.log.info("migrations applied", { ...result });
      return { ok: true, ...result };
    }
    if (event?.source === "aws.events" || event?.["detail-type"] === "Scheduled Event") {
      return { ok: true, sweep: await runRetrySweep(d) };
    }
    http ??= handle(createApp(d));
    // biome-ignore lint/suspicious/noExplicitAny: hono's handler accepts every API Gateway/ALB event shape.
    return http(event as any, context as any);
  };
}

// One request at a time per container: a small pool unless configured otherwise.
export const handler = createLambdaHandler(() =>
  buildApiDeps({ env: { ...process.env, DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX || "2" } }),
);

/** Seconds to wait for a connection: an Aurora Serverless v2 resume from 0 ACU takes up to about 15 s, more under load. */
export const migrateConnectTimeoutSeconds = 90;

/**
 * The migrations' entry point around a connection factory (tests pass their own): one connection,
 * migrations bounded by `options`, the connection closed after. A failure is thrown (the invoke
 * reports a FunctionError; go-live then moves no alias).
 */
export function createMigrateHandler(connect: () => Promise<Sql>, options: MigrateOptions = {}) {
  return async () => {
    const sql = await connect();
    try {
      return { ok: true, ...(await migrate(sql, options)) };
    } finally {
      await sql.end({ timeout: 5 });
    }
  };
}

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0, not "${raw}"`);
  return n;
};

/** Handler `lambda.migrateHandler` of `<prefix>-migrate`; MIGRATION_LOCK_TIMEOUT_MS / MIGRATION_STATEMENT_TIMEOUT_MS override the bounds. */
export const migrateHandler = async () =>
  createMigrateHandler(
    async () => {
      const secrets = new SecretsManagerClient({});
      try {
        const url = await resolveDatabaseUrl(
          {
            DATABASE_URL: process.env.DATABASE_URL,
            DATABASE_SECRET_ARN: process.env.DATABASE_SECRET_ARN,
            DATABASE_HOST: process.env.DATABASE_HOST,
            DATABASE_NAME: process.env.DATABASE_NAME,
          },
          secrets,
        );
        return createDb({ url, max: 1, connectTimeout: migrateConnectTimeoutSeconds, applicationName: "bluemoxon-migrate" });
      } finally {
        secrets.destroy();
      }
    },
    {
      lockTimeoutMs: envInt("MIGRATION_LOCK_TIMEOUT_MS", 10_000),
      statementTimeoutMs: envInt("MIGRATION_STATEMENT_TIMEOUT_MS", 300_000),
    },
  )();
