/**
 * RFC 9457 problem details: the one error shape of the API. `toProblem` maps typed errors
 * to statuses at the edge; unknown errors become a bare 500 (logged with the request id,
 * never a stack trace in the response).
 */
import { ConfigError } from "@bluemoxon/core";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  ApiKeysUnavailableError,
  ApiKeyTooShortError,
  ConflictError,
  EbayCredentialsUnavailableError,
  EbayUpstreamError,
  InvalidListingUrlError,
  ListingNotFoundError,
  NotFoundError,
} from "../errors.ts";

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string().openapi({ example: "Not Found" }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().optional().openapi({ example: "book 0b6f… not found" }),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

export type Problem = z.infer<typeof problemSchema>;

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  detail?: string,
  headers: Record<string, string> = {},
  extra: Partial<Problem> = {},
): Response {
  const body: Problem = { type: "about:blank", title, status, detail, instance: c.req.path, requestId: c.get("requestId"), ...extra };
  return c.body(JSON.stringify(body), status, { "content-type": "application/problem+json", ...headers });
}

/** Maps anything thrown by a handler to a problem response. */
export function errorToProblem(c: Context, error: unknown): Response {
  if (error instanceof InvalidListingUrlError) return problem(c, 400, "Bad Request", error.message);
  if (error instanceof ListingNotFoundError) return problem(c, 404, "Not Found", error.message);
  if (error instanceof NotFoundError) return problem(c, 404, "Not Found", error.message);
  if (error instanceof ConflictError) return problem(c, 409, "Conflict", error.message);
  if (error instanceof EbayUpstreamError) return problem(c, 502, "Bad Gateway", error.message);
  if (error instanceof EbayCredentialsUnavailableError)
    return problem(c, 503, "Service Unavailable", "eBay credentials cannot be read right now");
  if (error instanceof ApiKeyTooShortError)
    return problem(c, 503, "Service Unavailable", "the API key secret holds a key that is too short; an operator must replace it");
  if (error instanceof ApiKeysUnavailableError)
    return problem(c, 503, "Service Unavailable", "API keys cannot be read right now", { "retry-after": "5" });
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    // bodyLimit and body parsing raise HTTPException: keep their 4xx status.
    return problem(c, status, titleFor(status), error.message || undefined);
  }
  if (error instanceof SyntaxError) return problem(c, 400, "Bad Request", "malformed JSON body");
  if (error instanceof ConfigError) return problem(c, 500, "Internal Server Error", "server misconfigured");
  return problem(c, 500, "Internal Server Error", "unexpected error; see logs with this requestId");
}

export function titleFor(status: number): string {
  const titles: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
  };
  return titles[status] ?? "Error";
}
