/**
 * IAM enforcement (issue 9): verifies each request's SigV4 signature with the principal's secret
 * and authorizes the operation's IAM action on its resource ARN. The signature and policy logic
 * live in `./iam/`.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ServiceErrors } from "./emulated-service.ts";
import type { EmulatorRequest } from "./http-reply.ts";
import { isAllowed, type Principal } from "./iam/policy.ts";
import { verifyRequestSignature } from "./iam/sigv4.ts";
import type { ServiceCall } from "./service-call.ts";

export type { Principal };

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
  constructor(options: IamOptions | undefined) {
    this.enforce = options?.enforce ?? false;
    for (const p of options?.principals ?? []) this.byKey.set(p.accessKeyId, p);
    const admin = options?.principals.find((p) => p.admin === true);
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

  /**
   * Before the body is read, from the headers alone: refuses an unsigned request and an unknown
   * access key, and verifies the whole signature when the payload's hash is declared (S3 always
   * declares it, or signs UNSIGNED-PAYLOAD; SQS and Secrets Manager sign the body itself, which
   * `check` verifies once the capped body is in).
   */
  precheck(req: EmulatorRequest, errors: ServiceErrors): void {
    if (!this.enforce) return;
    const key = IamGate.accessKeyOf(req);
    if (key === undefined) throw errors.signature("MissingAuthenticationToken", "Request is missing Authentication Token");
    if (!this.byKey.has(key)) throw errors.signature("InvalidClientTokenId", "The security token included in the request is invalid.");
    const declared = req.headers["x-amz-content-sha256"] ?? req.query.get("X-Amz-Content-Sha256") ?? undefined;
    const presignedS3 = req.query.get("X-Amz-Credential")?.split("/")[3] === "s3";
    if (declared === undefined && !presignedS3) return;
    const verified = verifyRequestSignature(
      { method: req.method, rawPath: req.rawPath, rawQuery: req.rawQuery, headers: req.headers, payloadHash: declared ?? "" },
      (id) => this.byKey.get(id)?.secretAccessKey,
    );
    if (!verified.ok) throw errors.signature(verified.code, verified.message);
  }

  /** Throws the service's own error when the request is unsigned, wrongly signed or not allowed. Returns the caller's access key id. */
  check(req: EmulatorRequest, call: ServiceCall, errors: ServiceErrors): string | undefined {
    if (!this.enforce) return IamGate.accessKeyOf(req);
    // The verifier compares this with a declared x-amz-content-sha256 and signs literal values (UNSIGNED-PAYLOAD, STREAMING-…) as given.
    const payloadHash = createHash("sha256").update(req.body).digest("hex");
    const verified = verifyRequestSignature(
      { method: req.method, rawPath: req.rawPath, rawQuery: req.rawQuery, headers: req.headers, payloadHash },
      (key) => this.byKey.get(key)?.secretAccessKey,
    );
    if (!verified.ok) throw errors.signature(verified.code, verified.message);
    const principal = this.byKey.get(verified.accessKeyId);
    if (!principal) throw errors.signature("InvalidClientTokenId", "The security token included in the request is invalid.");
    for (const { action, resource } of call.authorizations) {
      const allowed = principal.admin === true || isAllowed(principal, action, resource);
      this.log.push({ principal: principal.name, action, resource, allowed });
      if (!allowed) throw errors.accessDenied(`User: ${principal.name} is not authorized to perform: ${action} on resource: ${resource}`);
    }
    return principal.accessKeyId;
  }
}
