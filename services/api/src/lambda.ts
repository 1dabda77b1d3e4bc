/**
 * AWS Lambda entry (container image, handler `lambda.handler`). One function answers:
 * - API Gateway v2 (HTTP API) events → the Hono app;
 * - EventBridge scheduled events → the retry sweep;
 * - `{ "action": "migrate" }` → database migrations (the deploy workflow invokes this, since the DB is private).
 * Dependencies are built once per container, on the first event.
 */
import { migrate } from "@bluemoxon/core";
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
