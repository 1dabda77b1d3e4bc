/**
 * The Hono app, built from its dependencies. `server.ts` (Node) and `lambda.ts` (AWS) only wrap it.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { ApiDeps } from "./api-deps.ts";
import { apiKeyAuth } from "./auth/api-key-auth.ts";
import { dashboardRoutes } from "./dashboard/index.ts";
import { swaggerUiRoutes } from "./docs/swagger-ui-routes.ts";
import { errorToProblem, problem } from "./http/problem.ts";
import type { AppEnv } from "./routes/app-env.ts";
import { registerBookRoutes } from "./routes/book-routes.ts";
import { registerHealthRoutes } from "./routes/health-routes.ts";
import { registerImageJobRoutes } from "./routes/image-job-routes.ts";

export const apiVersion = "1.0.0";

/**
 * @example
 * const app = createApp(deps);
 * const res = await app.request("/health");
 */
export function createApp(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // Validation failures become 400 problems listing each field, never a 500.
    defaultHook: (result, c) => {
      if (!result.success) {
        const errors = result.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message }));
        return problem(c, 400, "Bad Request", "the request is invalid", {}, { errors });
      }
    },
  });

  app.use(requestId());
  app.use(secureHeaders());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const fields = {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round(performance.now() - started),
    };
    if (status >= 500) deps.log.error("request failed", fields);
    else deps.log.debug("request", fields);
  });
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: deps.config.BODY_LIMIT_BYTES,
      onError: (c) => {
        const res = problem(c, 413, "Content Too Large", `the body is over ${deps.config.BODY_LIMIT_BYTES} bytes`);
        // The body was not read: on a kept-alive connection its bytes would be parsed as the next
        // request. Closing the connection after the answer is the only safe end for it.
        res.headers.set("Connection", "close");
        return res;
      },
    }),
  );
  app.use(apiKeyAuth(deps.apiKeys));

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: 'One of the keys in the API key secret ({"keys": [...]})',
  });
  registerHealthRoutes(app, deps);
  registerBookRoutes(app, deps);
  registerImageJobRoutes(app, deps);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "BlueMoxon image pipeline API",
      version: apiVersion,
      description:
        "Imports eBay listings, copies their photos, queues background removal and reports on it. Errors are application/problem+json.",
    },
    tags: [{ name: "books" }, { name: "image-jobs" }, { name: "admin" }, { name: "health" }],
  });
  app.route("/", swaggerUiRoutes({ specUrl: "/openapi.json", title: "BlueMoxon image pipeline API · docs" }));
  app.route("/", dashboardRoutes());

  app.notFound((c) => problem(c, 404, "Not Found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    const response = errorToProblem(c, error);
    if (response.status >= 500) deps.log.error("unhandled error", { requestId: c.get("requestId"), path: c.req.path, error });
    return response;
  });
  return app;
}
