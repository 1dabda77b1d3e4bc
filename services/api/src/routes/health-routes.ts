/** Liveness (public, no dependencies) and the deep check of every dependency (authenticated). */
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../api-deps.ts";
import { checkDeepHealth } from "../health/check-deep-health.ts";
import type { App } from "./app-env.ts";
import { authResponses, deepHealthSchema, healthSchema, security } from "./schemas.ts";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["health"],
  summary: "Liveness: the process answers (no dependency is touched)",
  responses: { 200: { description: "Alive", content: { "application/json": { schema: healthSchema } } } },
});

const deepRoute = createRoute({
  method: "get",
  path: "/health/deep",
  tags: ["health"],
  summary: "Database, bucket, every queue of pipeline.json (with depth, in-flight and DLQ depth) and Secrets Manager",
  security,
  responses: {
    200: { description: "Every check passed", content: { "application/json": { schema: deepHealthSchema } } },
    503: {
      description: "At least one check failed (or API keys cannot be read)",
      content: { "application/json": { schema: deepHealthSchema } },
    },
    401: authResponses[401],
  },
});

export function registerHealthRoutes(app: App, deps: ApiDeps): void {
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(deepRoute, async (c) => {
    const health = await checkDeepHealth(deps);
    return c.json(health, health.status === "ok" ? 200 : 503);
  });
}
