/**
 * IAM enforcement (issue 9): verifies each request's SigV4 signature with the principal's secret
 * and authorizes the operation's IAM action on its resource ARN. The signature and policy logic
 * live in `./iam/` (owned separately); they are loaded only when enforcement is on.
 */
import { createHash, randomBytes } from "node:crypto";
import { AwsServiceError } from "./errors.ts";
import type { EmulatorRequest } from "./http-reply.ts";
import type { ServiceCall, ServiceName } from "./service-call.ts";
import { sqsError } from "./sqs/sqs-errors.ts";

/** Mirrors `Principal` in `./iam/policy.ts`. */
export interface Principal {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  admin?: boolean;
  statements: { Effect: "Allow"; Action: string[]; Resource: string[] }[];
}

export interface IamOptions {
  enforce: boolean;
  principals: Principal[];
}

export interface IamCall {
  principal: string;
  action: string;
  resource: string;
  allowed: boolean;
}

type VerifyCode = "MissingAuthenticationToken" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "RequestExpired" | "AccessDenied";
type VerifyResult = { ok: true; accessKeyId: string } | { ok: false; code: VerifyCode; message: string };
type VerifyFn = (
  req: { method: string; rawPath: string; rawQuery: string; headers: Record<string, string>; payloadHash: string },
  lookupSecret: (accessKeyId: string) => string | undefined,
  now?: Date,
) => VerifyResult;
type IsAllowedFn = (principal: Principal, action: string, resourceArn: string) => boolean;

export interface IamApi {
  readonly enforce: boolean;
  /** Credentials of the built-in admin principal (provisioning, tests). */
  readonly adminCredentials: { accessKeyId: string; secretAccessKey: string };
  /** Every authorization decision, in order. */
  calls(): IamCall[];
  clearCalls(): void;
  /** Adds or replaces (by access key id) a principal. */
  addPrincipal(principal: Principal): void;
}

export class IamGate implements IamApi {
  readonly enforce: boolean;
  readonly adminCredentials: { accessKeyId: string; secretAccessKey: string };
  private readonly byKey = new Map<string, Principal>();
  private readonly log: IamCall[] = [];
  private verify: VerifyFn | undefined;
  private isAllowed: IsAllowedFn | undefined;

  constructor(options: IamOptions | undefined) {
    this.enforce = options?.enforce ?? false;
    for (const p of options?.principals ?? []) this.byKey.set(p.accessKeyId, p);
    const admin = options?.principals.find((p) => p.admin);
    if (admin) {
      this.adminCredentials = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
    } else {
      this.adminCredentials = {
        accessKeyId: `AKIAEMU${randomBytes(7).toString("hex").toUpperCase()}`,
        secretAccessKey: randomBytes(20).toString("base64url"),
      };
      this.byKey.set(this.adminCredentials.accessKeyId, { name: "emulator-admin", ...this.adminCredentials, admin: true, statements: [] });
    }
  }

  async load(): Promise<void> {
    if (!this.enforce) return;
    // Paths in variables so this package type-checks and starts fast before (and without) the IAM modules.
    const sigv4Path = "./iam/sigv4.ts";
    const policyPath = "./iam/policy.ts";
    const sigv4 = (await import(sigv4Path)) as { verifyRequestSignature: VerifyFn };
    const policy = (await import(policyPath)) as { isAllowed: IsAllowedFn };
    this.verify = sigv4.verifyRequestSignature;
    this.isAllowed = policy.isAllowed;
  }

  calls(): IamCall[] {
    return [...this.log];
  }

  clearCalls(): void {
    this.log.length = 0;
  }

  addPrincipal(principal: Principal): void {
    this.byKey.set(principal.accessKeyId, principal);
  }

  /** Access key id from the Authorization header or a presigned URL, without verifying anything. */
  static accessKeyOf(req: EmulatorRequest): string | undefined {
    const auth = req.headers.authorization;
    const credential = auth ? /Credential=([^/,\s]+)/.exec(auth)?.[1] : req.query.get("X-Amz-Credential")?.split("/")[0];
    return credential || undefined;
  }

  /** Throws the service's own error when the request is unsigned, wrongly signed or not allowed. Returns the caller's access key id. */
  check(req: EmulatorRequest, call: ServiceCall): string | undefined {
    if (!this.enforce || !this.verify || !this.isAllowed) return IamGate.accessKeyOf(req);
    const presigned = req.query.has("X-Amz-Signature");
    const payloadHash =
      req.headers["x-amz-content-sha256"] ?? (presigned ? "UNSIGNED-PAYLOAD" : createHash("sha256").update(req.body).digest("hex"));
    const verified = this.verify(
      { method: req.method, rawPath: req.rawPath, rawQuery: req.rawQuery, headers: req.headers, payloadHash },
      (key) => this.byKey.get(key)?.secretAccessKey,
    );
    if (!verified.ok) throw authError(call.service, verified.code, verified.message);
    const principal = this.byKey.get(verified.accessKeyId);
    if (!principal) throw authError(call.service, "InvalidClientTokenId", "The security token included in the request is invalid.");
    for (const { action, resource } of call.authorizations) {
      const allowed = principal.admin === true || this.isAllowed(principal, action, resource);
      this.log.push({ principal: principal.name, action, resource, allowed });
      if (!allowed)
        throw accessDenied(call.service, `User: ${principal.name} is not authorized to perform: ${action} on resource: ${resource}`);
    }
    return principal.accessKeyId;
  }
}

function accessDenied(service: ServiceName, message: string): AwsServiceError {
  if (service === "sqs") return sqsError("AccessDenied", message, 403);
  if (service === "s3") return new AwsServiceError("AccessDenied", message, 403);
  return new AwsServiceError("AccessDeniedException", message, 400);
}

function authError(service: ServiceName, code: VerifyCode, message: string): AwsServiceError {
  if (code === "AccessDenied") return accessDenied(service, message);
  if (service === "sqs") {
    return sqsError(code, message, code === "RequestExpired" ? 400 : 403);
  }
  if (service === "s3") {
    const s3Codes: Record<string, string> = {
      MissingAuthenticationToken: "AccessDenied",
      InvalidClientTokenId: "InvalidAccessKeyId",
      SignatureDoesNotMatch: "SignatureDoesNotMatch",
      RequestExpired: "AccessDenied",
    };
    return new AwsServiceError(s3Codes[code] ?? code, message, 403);
  }
  const smCodes: Record<string, string> = {
    MissingAuthenticationToken: "MissingAuthenticationTokenException",
    InvalidClientTokenId: "UnrecognizedClientException",
    SignatureDoesNotMatch: "InvalidSignatureException",
    RequestExpired: "InvalidSignatureException",
  };
  return new AwsServiceError(smCodes[code] ?? code, message, 400);
}
