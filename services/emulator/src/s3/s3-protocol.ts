/**
 * S3's REST protocol, path-style (`/bucket/key`): decodes the path and `x-amz-copy-source`,
 * finds the operation in the route table, names what IAM authorizes, and renders S3's XML errors.
 * Routing changes nothing and throws only S3's own errors (a malformed path is 400 InvalidURI).
 */

import { constants } from "node:buffer";
import type { EmulatedService, ServiceContext, ServiceErrors } from "../emulated-service.ts";
import type { AwsServiceError } from "../errors.ts";
import type { EmulatorRequest, HttpReply } from "../http-reply.ts";
import type { ServiceCall } from "../service-call.ts";
import { corsRules, evaluateCors } from "./s3-cors.ts";
import { invalidArgument, s3Error, s3ErrorReply } from "./s3-errors.ts";
import { S3Multipart } from "./s3-multipart.ts";
import { matchRoute, type S3Handlers, type S3Request } from "./s3-route.ts";
import { s3Routes } from "./s3-routes.ts";
import { S3Service } from "./s3-service.ts";
import { S3Store } from "./s3-store.ts";

const internalMessage = "We encountered an internal error. Please try again.";
const GiB = 1024 ** 3;
/**
 * Object data: S3 takes up to 5 GiB in one PutObject or UploadPart (aws-chunked framing adds
 * under 1 %); the emulator holds a body in one Buffer, so Node's Buffer maximum caps it below
 * that. Every other request is an XML document: DeleteObjects' 1000 keys or
 * CompleteMultipartUpload's 10 000 parts fit in 4 MiB.
 */
const objectBodyLimit = Math.min(Math.floor(5 * GiB * 1.01), constants.MAX_LENGTH);
const documentBodyLimit = 4 * 1024 * 1024;
const objectOperations = new Set(["PutObject", "UploadPart"]);
const signatureCodes: Record<string, string> = {
  MissingAuthenticationToken: "AccessDenied",
  InvalidClientTokenId: "InvalidAccessKeyId",
  SignatureDoesNotMatch: "SignatureDoesNotMatch",
  RequestExpired: "AccessDenied",
  AccessDenied: "AccessDenied",
};

export class S3Protocol implements EmulatedService {
  readonly name = "s3" as const;
  readonly state: S3Store;
  private readonly handlers: S3Handlers;
  readonly errors: ServiceErrors = {
    internal: () => s3Error("InternalError", internalMessage, 500),
    accessDenied: (message) => s3Error("AccessDenied", message, 403),
    signature: (code, message) => s3Error(signatureCodes[code] ?? code, message, 403),
    fault: (code, status, message) => s3Error(code, message, status),
    tooLarge: (limit, size) =>
      s3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400, {
        MaxSizeAllowed: String(limit),
        ...(size === undefined ? {} : { ProposedSize: String(size) }),
      }),
  };

  constructor(context: ServiceContext) {
    this.state = new S3Store(context.dataDir, (after) => context.onChange(after));
    const s3 = new S3Service(this.state, { region: context.region, baseUrl: context.baseUrl });
    this.handlers = { s3, multipart: new S3Multipart(s3) };
  }

  /** S3 answers whatever no other service claimed. */
  accepts(): boolean {
    return true;
  }

  renderError(req: EmulatorRequest, error: AwsServiceError): HttpReply {
    return s3ErrorReply(error, req.requestId, req.method === "HEAD");
  }

  bodyLimit(req: EmulatorRequest): number {
    const operation = matchRoute(this.decode(req), s3Routes)?.operation;
    return operation && objectOperations.has(operation) ? objectBodyLimit : documentBodyLimit;
  }

  /** The bucket's CORS configuration decides; a request naming no bucket, or a bucket without one, is refused. */
  async crossOrigin(req: EmulatorRequest, preflight: boolean): Promise<Record<string, string> | AwsServiceError> {
    const r = this.decode(req);
    const method = preflight ? (req.headers["access-control-request-method"] ?? "") : req.method;
    const requestHeaders = (req.headers["access-control-request-headers"] ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const document = r.bucket ? this.state.buckets.get(r.bucket)?.config.cors : undefined;
    return evaluateCors(await corsRules(document), { origin: req.headers.origin ?? "", method, requestHeaders, preflight });
  }

  route(req: EmulatorRequest): ServiceCall {
    const r = this.decode(req);
    const { hasKey } = r;
    const bucketArn = `arn:aws:s3:::${r.bucket}`;
    const route = matchRoute(r, s3Routes);
    const resource = route?.resource?.(r) ?? (hasKey ? `${bucketArn}/${r.key}` : bucketArn);
    const expired = presignedExpiry(req.query);
    return {
      operation: route?.operation ?? "Unsupported",
      resource: r.bucket || undefined,
      key: hasKey ? r.key : undefined,
      authorizations: [{ action: route?.action ?? "s3:Unsupported", resource }, ...(route?.also?.(r) ?? [])],
      run: () => {
        if (expired) throw s3Error("AccessDenied", "Request has expired", 403, expired);
        if (!route) throw s3Error("NotImplemented", "A header or query you provided implies functionality that is not implemented.", 501);
        return route.run(this.handlers, r);
      },
    };
  }

  /** The request as S3's routes see it (throws S3's InvalidURI / InvalidArgument for a malformed path or copy source). */
  private decode(req: EmulatorRequest): S3Request {
    const [rawBucket, ...rest] = req.rawPath.slice(1).split("/");
    const hasKey = rest.length > 0 && !(rest.length === 1 && rest[0] === "");
    const source = req.headers["x-amz-copy-source"];
    return {
      method: req.method,
      bucket: rawBucket ? decodePath(rawBucket) : "",
      key: hasKey ? decodePath(rest.join("/")) : "",
      hasKey,
      query: req.query,
      headers: req.headers,
      body: req.body,
      copySource: source ? parseCopySource(source) : undefined,
    };
  }
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw s3Error("InvalidURI", "Couldn't parse the specified URI.", 400, { URI: raw });
  }
}

function parseCopySource(header: string): { bucket: string; key: string } {
  let path: string;
  try {
    path = decodeURIComponent(header.replace(/\?.*$/, "")).replace(/^\//, "");
  } catch {
    throw invalidArgument("Invalid copy source encoding", "x-amz-copy-source", header);
  }
  const slash = path.indexOf("/");
  if (slash <= 0) throw invalidArgument("Invalid copy source object key", "x-amz-copy-source", header);
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

/** Fields of S3's "Request has expired" error when a presigned URL is past `X-Amz-Date + X-Amz-Expires`, checked with or without IAM. */
function presignedExpiry(q: URLSearchParams): Record<string, string> | undefined {
  const date = q.get("X-Amz-Date");
  const expires = q.get("X-Amz-Expires");
  if (!date || !expires) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return undefined;
  const signedAt = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const expiresAt = signedAt + Number(expires) * 1000;
  if (!(Date.now() > expiresAt)) return undefined;
  return { "X-Amz-Expires": expires, Expires: new Date(expiresAt).toISOString(), ServerTime: new Date().toISOString() };
}
