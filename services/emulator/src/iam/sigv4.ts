/**
 * AWS Signature Version 4 verification, for requests signed in the Authorization header
 * and for presigned URLs (the same signature carried in `X-Amz-*` query parameters).
 *
 * The server recomputes the canonical request from what arrived on the wire and compares
 * signatures, so a client with the wrong secret, or a request altered after signing, is
 * refused the way AWS refuses it. Only the seed signature of streaming uploads
 * (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) is checked here, not the per-chunk signatures.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface SignedRequest {
  method: string;
  /** Path exactly as received, still percent-encoded, without the query. */
  rawPath: string;
  /** Query string exactly as received, without the leading `?` (may be empty). */
  rawQuery: string;
  /** Header names in lower case; repeated headers joined with `,`. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body as received (the emulator computes it). */
  payloadHash: string;
}

export type SignatureErrorCode =
  | "MissingAuthenticationToken"
  | "InvalidClientTokenId"
  | "SignatureDoesNotMatch"
  | "RequestExpired"
  | "AccessDenied";

export type SignatureResult = { ok: true; accessKeyId: string } | { ok: false; code: SignatureErrorCode; message: string };

const algorithm = "AWS4-HMAC-SHA256";
/** AWS rejects header-signed requests whose date is more than 15 minutes off the server clock. */
const maxClockSkewMs = 15 * 60 * 1000;
/** Presigned URLs can live at most 7 days. */
const maxPresignedSeconds = 7 * 24 * 60 * 60;
/** Payload hash values that stand for "not hashed here" and are signed literally. */
const literalPayloadHashes = new Set([
  "UNSIGNED-PAYLOAD",
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
]);

interface SignatureParts {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
}

type SignatureFailure = Extract<SignatureResult, { ok: false }>;

const fail = (code: SignatureErrorCode, message: string): SignatureFailure => ({ ok: false, code, message });

/**
 * Verifies a request's SigV4 signature against the secret of its access key.
 * @example
 * const result = verifyRequestSignature(
 *   { method: "POST", rawPath: "/", rawQuery: "", headers, payloadHash: sha256Hex(body) },
 *   (id) => principalsByKey.get(id)?.secretAccessKey,
 * );
 * if (!result.ok) return awsError(403, result.code, result.message);
 */
export function verifyRequestSignature(
  req: SignedRequest,
  lookupSecret: (accessKeyId: string) => string | undefined,
  now: Date = new Date(),
): SignatureResult {
  const query = parseQuery(req.rawQuery);
  const presigned = query.some(([k]) => k === "X-Amz-Algorithm" || k === "X-Amz-Signature" || k === "X-Amz-Credential");
  const authorization = req.headers.authorization;
  if (!presigned && !authorization) {
    return fail("MissingAuthenticationToken", "Request is missing Authentication Token");
  }

  let parts: SignatureParts;
  let payloadHash: string;
  if (presigned) {
    const parsed = parsePresigned(query);
    if ("code" in parsed) return parsed;
    parts = parsed;
    const declared = firstValue(query, "X-Amz-Content-Sha256") ?? req.headers["x-amz-content-sha256"];
    // S3 presigned URLs sign UNSIGNED-PAYLOAD unless they say otherwise; other services sign the body.
    payloadHash = declared ?? (parts.service === "s3" ? "UNSIGNED-PAYLOAD" : req.payloadHash);
    const expires = Number(firstValue(query, "X-Amz-Expires"));
    if (!Number.isInteger(expires) || expires < 1 || expires > maxPresignedSeconds) {
      return fail("AccessDenied", `X-Amz-Expires must be between 1 and ${maxPresignedSeconds} seconds`);
    }
    const signedAt = parseAmzDate(parts.amzDate);
    if (!signedAt) return fail("AccessDenied", `X-Amz-Date "${parts.amzDate}" is not a valid ISO 8601 basic date`);
    if (signedAt.getTime() - now.getTime() > maxClockSkewMs) {
      return fail("AccessDenied", "Request is not valid yet (X-Amz-Date is in the future)");
    }
    if (now.getTime() > signedAt.getTime() + expires * 1000) {
      return fail("AccessDenied", "Request has expired");
    }
  } else {
    const parsed = parseAuthorization(authorization!, req.headers);
    if ("code" in parsed) return parsed;
    parts = parsed;
    const declared = req.headers["x-amz-content-sha256"];
    if (declared !== undefined && !literalPayloadHashes.has(declared) && declared.toLowerCase() !== req.payloadHash.toLowerCase()) {
      return fail("SignatureDoesNotMatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    payloadHash = declared ?? req.payloadHash;
    const signedAt = parseAmzDate(parts.amzDate) ?? parseHttpDate(parts.amzDate);
    if (!signedAt) return fail("SignatureDoesNotMatch", "The request date is missing or not a valid X-Amz-Date / Date value");
    if (Math.abs(now.getTime() - signedAt.getTime()) > maxClockSkewMs) {
      return fail(
        "RequestExpired",
        `Signature expired: ${parts.amzDate} is now earlier than ${formatAmzDate(new Date(now.getTime() - maxClockSkewMs))} (${formatAmzDate(now)} - 15 min.)`,
      );
    }
  }

  if (!/^\d{8}$/.test(parts.scopeDate) || !parts.amzDate.startsWith(parts.scopeDate)) {
    // Date-header requests (RFC 1123) carry no yyyymmdd prefix; compare the calendar day instead.
    const day = parseHttpDate(parts.amzDate);
    if (!day || formatAmzDate(day).slice(0, 8) !== parts.scopeDate) {
      return fail("SignatureDoesNotMatch", `Credential scope date ${parts.scopeDate} does not match the request date ${parts.amzDate}`);
    }
  }
  if (!parts.signedHeaders.includes("host")) {
    return fail("SignatureDoesNotMatch", "The host header must be signed");
  }
  for (const name of parts.signedHeaders) {
    if (req.headers[name] === undefined) {
      return fail("SignatureDoesNotMatch", `Signed header "${name}" is missing from the request`);
    }
  }

  const secret = lookupSecret(parts.accessKeyId);
  if (secret === undefined) {
    return fail("InvalidClientTokenId", "The security token included in the request is invalid.");
  }

  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(req.rawPath, parts.service),
    canonicalQuery(query, presigned),
    ...parts.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(req.headers[name])}`),
    "",
    parts.signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${parts.scopeDate}/${parts.region}/${parts.service}/aws4_request`;
  // A request dated by the HTTP Date header still signs the ISO 8601 basic form of that date.
  const signedDate = parseAmzDate(parts.amzDate) ? parts.amzDate : formatAmzDate(parseHttpDate(parts.amzDate)!);
  const stringToSign = [algorithm, signedDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const expected = createHmac("sha256", signingKey(secret, parts.scopeDate, parts.region, parts.service))
    .update(stringToSign)
    .digest("hex");

  if (!safeEqualHex(expected, parts.signature)) {
    return fail(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
  return { ok: true, accessKeyId: parts.accessKeyId };
}

function parseAuthorization(header: string, headers: Record<string, string>): SignatureParts | SignatureFailure {
  const trimmed = header.trim();
  if (!trimmed.startsWith(`${algorithm} `)) {
    return fail("SignatureDoesNotMatch", `Unsupported authorization type; only ${algorithm} is accepted`);
  }
  const fields = new Map<string, string>();
  for (const piece of trimmed.slice(algorithm.length).split(",")) {
    const eq = piece.indexOf("=");
    if (eq > 0) fields.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!credential || !signedHeaders || !signature) {
    return fail("SignatureDoesNotMatch", "Authorization header requires Credential, SignedHeaders and Signature");
  }
  const amzDate = headers["x-amz-date"] ?? headers.date;
  if (!amzDate) return fail("SignatureDoesNotMatch", "Authorization header requires an X-Amz-Date or Date header");
  return withCredential(credential, signedHeaders, signature, amzDate);
}

function parsePresigned(query: [string, string][]): SignatureParts | SignatureFailure {
  const algo = firstValue(query, "X-Amz-Algorithm");
  if (algo !== algorithm) return fail("AccessDenied", `X-Amz-Algorithm must be ${algorithm}`);
  const credential = firstValue(query, "X-Amz-Credential");
  const signedHeaders = firstValue(query, "X-Amz-SignedHeaders");
  const signature = firstValue(query, "X-Amz-Signature");
  const amzDate = firstValue(query, "X-Amz-Date");
  if (!credential || !signedHeaders || !signature || !amzDate || firstValue(query, "X-Amz-Expires") === undefined) {
    return fail(
      "AccessDenied",
      "Query-string authentication requires X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Expires",
    );
  }
  return withCredential(credential, signedHeaders, signature, amzDate);
}

function withCredential(credential: string, signedHeaders: string, signature: string, amzDate: string): SignatureParts | SignatureFailure {
  // The access key id itself never contains "/", so split from the right is not needed.
  const pieces = credential.split("/");
  if (pieces.length !== 5 || pieces[4] !== "aws4_request" || !pieces[0]) {
    return fail("SignatureDoesNotMatch", `Credential "${credential}" must be <key>/<date>/<region>/<service>/aws4_request`);
  }
  const [accessKeyId, scopeDate, region, service] = pieces;
  return {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders: signedHeaders.split(";").map((h) => h.trim().toLowerCase()),
    signature: signature.toLowerCase(),
    amzDate,
  };
}

/** Splits a raw query into decoded pairs, keeping order and repeats. `+` is literal, as in SigV4. */
function parseQuery(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery
    .split("&")
    .filter((p) => p.length > 0)
    .map((pair) => {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      return [safeDecode(key), safeDecode(value)];
    });
}

function firstValue(query: [string, string][], key: string): string | undefined {
  return query.find(([k]) => k === key)?.[1];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** RFC 3986 encoding as SigV4 defines it: everything but `A-Za-z0-9-_.~` is percent-encoded. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(query: [string, string][], presigned: boolean): string {
  const pairs = query
    .filter(([k]) => !(presigned && k === "X-Amz-Signature"))
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/**
 * S3 signs each path segment encoded once and never normalises `.`/`..` (they are valid key
 * characters). Every other service normalises the path and encodes the already-encoded path
 * a second time.
 */
function canonicalUri(rawPath: string, service: string): string {
  const path = rawPath || "/";
  if (service === "s3") {
    return path
      .split("/")
      .map((segment) => uriEncode(safeDecode(segment)))
      .join("/");
  }
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join("/")}${segments.length > 0 && path.endsWith("/") ? "/" : ""}`;
  return uriEncode(normalized).replace(/%2F/g, "/");
}

function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac("sha256", kDate).update(region).digest();
  const kService = createHmac("sha256", kRegion).update(service).digest();
  return createHmac("sha256", kService).update("aws4_request").digest();
}

function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

function safeEqualHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `20260129T093000Z` → Date, or undefined when malformed. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parseHttpDate(value: string): Date | undefined {
  if (/^\d{8}T\d{6}Z$/.test(value)) return parseAmzDate(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}
