/**
 * `X-API-Key` check for everything but the public paths. Keys are compared in constant time
 * (hono's `timingSafeEqual`, the one its `bearerAuth` uses), against every key of the secret.
 */
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { problem } from "../http/problem.ts";
import type { ApiKeyProvider } from "./api-key-provider.ts";

/** Paths answered without a key: liveness, the API description, and the dashboard page (it asks for the key in the browser). */
export const publicPaths = ["/", "/health", "/openapi.json", "/docs"];

export function isPublicPath(path: string): boolean {
  return publicPaths.includes(path) || path.startsWith("/docs/") || path.startsWith("/dashboard/");
}

export function apiKeyAuth(apiKeys: ApiKeyProvider): MiddlewareHandler {
  return async (c, next) => {
    if (isPublicPath(c.req.path)) return next();
    const given = c.req.header("x-api-key");
    if (!given) return problem(c, 401, "Unauthorized", "missing X-API-Key header", { "www-authenticate": 'ApiKey header="X-API-Key"' });
    // Throws ApiKeysUnavailableError → 503 via the error handler.
    const keys = await apiKeys.keys();
    let ok = false;
    for (const key of keys) {
      // No early exit: every key is compared, so timing says nothing about which one matched.
      if (await timingSafeEqual(key, given)) ok = true;
    }
    if (!ok) return problem(c, 401, "Unauthorized", "invalid API key", { "www-authenticate": 'ApiKey header="X-API-Key"' });
    return next();
  };
}
