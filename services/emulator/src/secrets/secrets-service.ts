/**
 * Secrets Manager, JSON 1.1 (`x-amz-target: secretsmanager.Op`). Versions carry staging labels;
 * a new current value moves AWSCURRENT to it and AWSPREVIOUS to the version that had AWSCURRENT.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { AwsServiceError } from "../errors.ts";
import type { EmulatorRequest, HttpReply } from "../http-reply.ts";
import type { ServiceCall } from "../service-call.ts";

// biome-ignore lint/suspicious/noExplicitAny: wire inputs are untyped JSON, validated field by field.
type Input = Record<string, any>;
type Output = Record<string, unknown>;

interface SecretVersion {
  id: string;
  secretString?: string;
  secretBinary?: string;
  createdAt: number;
  stages: string[];
}

export interface Secret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  createdAt: number;
  lastChangedAt: number;
  lastAccessedAt?: number;
  deletedAt?: number;
  deletionDate?: number;
  versions: SecretVersion[];
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const operations = new Set([
  "CreateSecret",
  "GetSecretValue",
  "PutSecretValue",
  "UpdateSecret",
  "DescribeSecret",
  "ListSecrets",
  "DeleteSecret",
  "RestoreSecret",
  "TagResource",
  "UntagResource",
  "BatchGetSecretValue",
]);

const notFound = () => err("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
const markedForDeletion = (op: string) =>
  err("InvalidRequestException", `You can't perform this operation on the secret because it was marked for deletion.`, { op });

function err(code: string, message: string, _ctx?: unknown): AwsServiceError {
  return new AwsServiceError(code, message, 400);
}

export interface SecretsServiceOptions {
  region: string;
  accountId: string;
  onChange?: () => void;
}

export class SecretsService {
  readonly secrets = new Map<string, Secret>();

  constructor(private readonly options: SecretsServiceOptions) {}

  private changed(): void {
    this.options.onChange?.();
  }

  /** A fresh ARN for `name` (AWS appends `-` and six random characters). */
  newArn(name: string): string {
    const bytes = randomBytes(6);
    const suffix = [...bytes].map((b) => suffixChars[b % suffixChars.length]).join("");
    return `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${suffix}`;
  }

  /** Finds a secret by name, full ARN or ARN without the random suffix; purges ones past their deletion date. */
  find(id: unknown): Secret | undefined {
    const secret = this.lookup(id);
    if (secret && expired(secret)) {
      this.secrets.delete(secret.name);
      this.changed();
      return undefined;
    }
    return secret;
  }

  /** Like `find`, without purging anything (an expired secret is returned): for routing, which runs before faults and IAM. */
  lookup(id: unknown): Secret | undefined {
    if (typeof id !== "string" || id === "") return undefined;
    let secret = this.secrets.get(id);
    if (!secret && id.startsWith("arn:")) {
      for (const s of this.secrets.values()) {
        if (s.arn === id || s.arn.slice(0, -7) === id) {
          secret = s;
          break;
        }
      }
    }
    return secret;
  }

  call(req: EmulatorRequest): ServiceCall {
    const operation = (req.headers["x-amz-target"] ?? "").slice("secretsmanager.".length);
    let input: Input = {};
    let invalid = false;
    try {
      input = req.body.length ? JSON.parse(req.body.toString("utf8")) : {};
    } catch {
      invalid = true;
    }
    const id = operation === "CreateSecret" ? input.Name : input.SecretId;
    const found = this.lookup(id);
    const existing = found && !expired(found) ? found : undefined;
    // CreateSecret is authorized against the ARN the secret is about to get.
    const pendingArn = operation === "CreateSecret" && typeof input.Name === "string" && !existing ? this.newArn(input.Name) : undefined;
    const resource =
      existing?.arn ??
      pendingArn ??
      (typeof id === "string" && id
        ? id.startsWith("arn:")
          ? id
          : `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${id}`
        : "*");
    return {
      service: "secretsmanager",
      operation,
      resource: typeof id === "string" ? (existing?.name ?? id) : undefined,
      authorizations: [{ action: `secretsmanager:${operation}`, resource }],
      renderError: secretsErrorReply,
      run: () => {
        if (invalid) throw err("SerializationException", "Request body is not valid JSON.");
        if (!operations.has(operation)) throw err("UnknownOperationException", `Unknown operation ${operation}`);
        const fn = (this as unknown as Record<string, (i: Input, arn?: string) => Output>)[operation];
        const output = fn.call(this, input, pendingArn);
        return { status: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: JSON.stringify(output) };
      },
    };
  }

  private live(id: unknown, op: string): Secret {
    if (typeof id !== "string" || id === "") throw err("InvalidParameterException", "You must provide a SecretId.");
    const secret = this.find(id);
    if (!secret) throw notFound();
    if (secret.deletedAt !== undefined) throw markedForDeletion(op);
    return secret;
  }

  private addVersion(secret: Secret, input: Input, stages: string[] = ["AWSCURRENT"]): SecretVersion {
    const hasString = input.SecretString !== undefined;
    const hasBinary = input.SecretBinary !== undefined;
    if (hasString && hasBinary)
      throw err("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.");
    const token = input.ClientRequestToken as string | undefined;
    if (token !== undefined && (token.length < 32 || token.length > 64)) {
      throw err("InvalidParameterException", "ClientRequestToken must be 32-64 characters long.");
    }
    const same = token ? secret.versions.find((v) => v.id === token) : undefined;
    if (same) {
      if (same.secretString !== input.SecretString || same.secretBinary !== input.SecretBinary) {
        throw err("ResourceExistsException", `You can't modify an existing version, you can only create a new version.`);
      }
      return same;
    }
    const version: SecretVersion = {
      id: token ?? randomUUID(),
      secretString: hasString ? String(input.SecretString) : undefined,
      secretBinary: hasBinary ? String(input.SecretBinary) : undefined,
      createdAt: Date.now(),
      stages: [],
    };
    for (const stage of stages) {
      const holder = secret.versions.find((v) => v.stages.includes(stage));
      if (holder) {
        holder.stages = holder.stages.filter((s) => s !== stage);
        if (stage === "AWSCURRENT") {
          for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== "AWSPREVIOUS");
          holder.stages.push("AWSPREVIOUS");
        }
      }
      version.stages.push(stage);
    }
    secret.versions.push(version);
    // AWS keeps versions that have a label (plus a bounded number of unlabelled ones); labels are what clients read.
    secret.versions = secret.versions.filter((v, i, all) => v.stages.length > 0 || i >= all.length - 100);
    secret.lastChangedAt = Date.now();
    return version;
  }

  CreateSecret(input: Input, pendingArn?: string): Output {
    const name = input.Name;
    if (typeof name !== "string" || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw err(
        "InvalidParameterException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
      );
    }
    const existing = this.find(name);
    if (existing?.deletedAt !== undefined) {
      throw err(
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing) throw err("ResourceExistsException", `The operation failed because the secret ${name} already exists.`);
    const now = Date.now();
    const secret: Secret = {
      name,
      arn: pendingArn ?? this.newArn(name),
      description: input.Description,
      kmsKeyId: input.KmsKeyId,
      tags: Array.isArray(input.Tags) ? input.Tags : [],
      createdAt: now,
      lastChangedAt: now,
      versions: [],
    };
    const version = input.SecretString !== undefined || input.SecretBinary !== undefined ? this.addVersion(secret, input) : undefined;
    this.secrets.set(name, secret);
    this.changed();
    return { ARN: secret.arn, Name: name, ...(version ? { VersionId: version.id } : {}) };
  }

  GetSecretValue(input: Input): Output {
    const secret = this.live(input.SecretId, "GetSecretValue");
    let version: SecretVersion | undefined;
    if (input.VersionId !== undefined) {
      version = secret.versions.find((v) => v.id === input.VersionId);
      if (version && input.VersionStage !== undefined && !version.stages.includes(input.VersionStage)) {
        throw err("InvalidRequestException", `You provided a VersionStage that is not associated to the provided VersionId.`);
      }
      if (!version)
        throw err("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId}`);
    } else {
      const stage = input.VersionStage ?? "AWSCURRENT";
      version = secret.versions.find((v) => v.stages.includes(stage));
      if (!version)
        throw err("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    }
    secret.lastAccessedAt = startOfDay(Date.now());
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: version.createdAt / 1000,
    };
  }

  BatchGetSecretValue(input: Input): Output {
    const ids: string[] = input.SecretIdList ?? [];
    const SecretValues: Output[] = [];
    const Errors: Output[] = [];
    for (const id of ids) {
      try {
        SecretValues.push(this.GetSecretValue({ SecretId: id }));
      } catch (e) {
        if (!(e instanceof AwsServiceError)) throw e;
        Errors.push({ SecretId: id, ErrorCode: e.code, Message: e.message });
      }
    }
    return { SecretValues, Errors };
  }

  PutSecretValue(input: Input): Output {
    const secret = this.live(input.SecretId, "PutSecretValue");
    if (input.SecretString === undefined && input.SecretBinary === undefined) {
      throw err("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
    }
    const version = this.addVersion(secret, input, input.VersionStages ?? ["AWSCURRENT"]);
    this.changed();
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  UpdateSecret(input: Input): Output {
    const secret = this.live(input.SecretId, "UpdateSecret");
    if (input.Description !== undefined) secret.description = input.Description;
    if (input.KmsKeyId !== undefined) secret.kmsKeyId = input.KmsKeyId;
    secret.lastChangedAt = Date.now();
    const version = input.SecretString !== undefined || input.SecretBinary !== undefined ? this.addVersion(secret, input) : undefined;
    this.changed();
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.id } : {}) };
  }

  private describe(secret: Secret): Output {
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
      RotationEnabled: false,
      LastChangedDate: secret.lastChangedAt / 1000,
      ...(secret.lastAccessedAt !== undefined ? { LastAccessedDate: secret.lastAccessedAt / 1000 } : {}),
      ...(secret.deletedAt !== undefined ? { DeletedDate: secret.deletedAt / 1000 } : {}),
      ...(secret.tags.length ? { Tags: secret.tags } : {}),
      VersionIdsToStages: Object.fromEntries(secret.versions.filter((v) => v.stages.length).map((v) => [v.id, [...v.stages]])),
      CreatedDate: secret.createdAt / 1000,
    };
  }

  DescribeSecret(input: Input): Output {
    if (typeof input.SecretId !== "string" || input.SecretId === "") throw err("InvalidParameterException", "You must provide a SecretId.");
    const secret = this.find(input.SecretId);
    if (!secret) throw notFound();
    return this.describe(secret);
  }

  ListSecrets(input: Input): Output {
    const filters: { Key: string; Values: string[] }[] = input.Filters ?? [];
    const matches = (s: Secret) =>
      filters.every((f) =>
        f.Values.some((raw) => {
          const negate = raw.startsWith("!");
          const value = negate ? raw.slice(1) : raw;
          const fields =
            f.Key === "name"
              ? [s.name]
              : f.Key === "description"
                ? [s.description ?? ""]
                : f.Key === "tag-key"
                  ? s.tags.map((t) => t.Key)
                  : f.Key === "tag-value"
                    ? s.tags.map((t) => t.Value)
                    : [s.name, s.description ?? "", ...s.tags.flatMap((t) => [t.Key, t.Value])];
          const hit = fields.some((x) => x.startsWith(value));
          return negate ? !hit : hit;
        }),
      );
    const all = [...this.secrets.keys()]
      .map((name) => this.find(name))
      .filter((s): s is Secret => s !== undefined && (input.IncludePlannedDeletion === true || s.deletedAt === undefined) && matches(s))
      .sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1));
    const max = Math.min(Number(input.MaxResults ?? 100), 100);
    const start = input.NextToken ? Number(Buffer.from(String(input.NextToken), "base64url").toString()) : 0;
    const page = all.slice(start, start + max);
    const out: Output = { SecretList: page.map((s) => this.describe(s)) };
    if (start + max < all.length) out.NextToken = Buffer.from(String(start + max)).toString("base64url");
    return out;
  }

  DeleteSecret(input: Input): Output {
    if (typeof input.SecretId !== "string" || input.SecretId === "") throw err("InvalidParameterException", "You must provide a SecretId.");
    const secret = this.find(input.SecretId);
    if (!secret) throw notFound();
    const force = input.ForceDeleteWithoutRecovery === true;
    if (force && input.RecoveryWindowInDays !== undefined) {
      throw err("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const days = input.RecoveryWindowInDays === undefined ? 30 : Number(input.RecoveryWindowInDays);
    if (!force && (!Number.isInteger(days) || days < 7 || days > 30)) {
      throw err("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
    }
    if (secret.deletedAt !== undefined && !force) {
      throw err("InvalidRequestException", "You can't perform this operation on the secret because it was already scheduled for deletion.");
    }
    const now = Date.now();
    const deletionDate = force ? now : now + days * 86_400_000;
    if (force) this.secrets.delete(secret.name);
    else {
      secret.deletedAt = now;
      secret.deletionDate = deletionDate;
    }
    this.changed();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: deletionDate / 1000 };
  }

  RestoreSecret(input: Input): Output {
    const secret = this.find(input.SecretId);
    if (!secret) throw notFound();
    secret.deletedAt = undefined;
    secret.deletionDate = undefined;
    this.changed();
    return { ARN: secret.arn, Name: secret.name };
  }

  TagResource(input: Input): Output {
    const secret = this.live(input.SecretId, "TagResource");
    for (const tag of (input.Tags ?? []) as { Key: string; Value: string }[]) {
      secret.tags = secret.tags.filter((t) => t.Key !== tag.Key);
      secret.tags.push(tag);
    }
    this.changed();
    return {};
  }

  UntagResource(input: Input): Output {
    const secret = this.live(input.SecretId, "UntagResource");
    const keys: string[] = input.TagKeys ?? [];
    secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
    this.changed();
    return {};
  }

  snapshot(): Secret[] {
    return [...this.secrets.values()];
  }

  restore(secrets: Secret[]): void {
    for (const s of secrets) this.secrets.set(s.name, s);
  }
}

export function secretsErrorReply(error: AwsServiceError): HttpReply {
  return {
    status: error.status,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": error.code, ...error.details.headers },
    body: JSON.stringify({ __type: error.code, Message: error.message, message: error.message }),
  };
}

function expired(secret: Secret): boolean {
  return secret.deletionDate !== undefined && secret.deletionDate <= Date.now();
}

function startOfDay(ms: number): number {
  return Math.floor(ms / 86_400_000) * 86_400_000;
}
