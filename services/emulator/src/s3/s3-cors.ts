/**
 * S3's CORS, from the bucket's stored `?cors` document, the way S3 evaluates it: the first rule
 * whose `AllowedOrigin` (one `*` wildcard at most), `AllowedMethod` and, for a preflight, every
 * `AllowedHeader` match the request decides; its answer headers are S3's. A bucket without a
 * CORS configuration answers no cross-origin request.
 */

import type { AwsServiceError } from "../errors.ts";
import { matchesWildcard } from "../iam/policy.ts";
import { asArray, parseXml } from "../xml.ts";
import { s3Error } from "./s3-errors.ts";

export interface CorsRule {
  origins: string[];
  methods: string[];
  headers: string[];
  expose: string[];
  maxAgeSeconds?: string;
}

export interface CorsRequest {
  origin: string;
  /** The method of the actual request (a preflight's `Access-Control-Request-Method`). */
  method: string;
  /** A preflight's `Access-Control-Request-Headers`, lower case. */
  requestHeaders: string[];
  preflight: boolean;
}

/** The rules of a stored CORS document; none when it cannot be read. */
export async function corsRules(document: string | undefined): Promise<CorsRule[]> {
  if (!document) return [];
  let doc: Record<string, unknown>;
  try {
    doc = await parseXml(Buffer.from(document));
  } catch {
    return [];
  }
  const config = doc.CORSConfiguration as { CORSRule?: unknown } | undefined;
  const list = (v: unknown) => asArray(v as string | string[]).map((x) => String(x).trim());
  return asArray(config?.CORSRule as Record<string, unknown>[] | Record<string, unknown>).map((r) => ({
    origins: list(r.AllowedOrigin),
    methods: list(r.AllowedMethod),
    headers: list(r.AllowedHeader),
    expose: list(r.ExposeHeader),
    maxAgeSeconds: r.MaxAgeSeconds === undefined ? undefined : String(r.MaxAgeSeconds),
  }));
}

/** The headers S3 adds for an allowed cross-origin request, or the refusal S3 sends. */
export function evaluateCors(rules: CorsRule[], request: CorsRequest): Record<string, string> | AwsServiceError {
  if (rules.length === 0) return forbidden("CORSResponse: CORS is not enabled for this bucket.", request);
  const rule = rules.find(
    (r) =>
      r.origins.some((o) => matchesWildcard(o, request.origin)) &&
      r.methods.includes(request.method) &&
      (!request.preflight || request.requestHeaders.every((h) => r.headers.some((p) => matchesWildcard(p, h, true)))),
  );
  if (!rule) {
    return forbidden(
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      request,
    );
  }
  const any = rule.origins.includes("*");
  const headers: Record<string, string> = {
    "access-control-allow-origin": any ? "*" : request.origin,
    "access-control-allow-methods": rule.methods.join(", "),
    vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
  };
  if (!any) headers["access-control-allow-credentials"] = "true";
  if (request.preflight && request.requestHeaders.length) headers["access-control-allow-headers"] = request.requestHeaders.join(", ");
  if (rule.expose.length) headers["access-control-expose-headers"] = rule.expose.join(", ");
  if (rule.maxAgeSeconds !== undefined) headers["access-control-max-age"] = rule.maxAgeSeconds;
  return headers;
}

function forbidden(message: string, request: CorsRequest): AwsServiceError {
  return s3Error("AccessForbidden", message, 403, { Method: request.method, ResourceType: "OBJECT" });
}
