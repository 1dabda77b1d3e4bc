/**
 * Secrets Manager operations on the SDK's request types. Versions carry staging labels; a new
 * current value moves AWSCURRENT to it and AWSPREVIOUS to the version that had AWSCURRENT.
 * Expired secrets (past their deletion date) are purged here, by the operation that meets one —
 * never while routing, which runs before faults and IAM.
 */
import { randomUUID } from "node:crypto";
import type {
  BatchGetSecretValueRequest,
  CreateSecretRequest,
  DeleteResourcePolicyRequest,
  DeleteSecretRequest,
  DescribeSecretRequest,
  GetResourcePolicyRequest,
  GetSecretValueRequest,
  ListSecretsRequest,
  ListSecretVersionIdsRequest,
  PutResourcePolicyRequest,
  PutSecretValueRequest,
  RestoreSecretRequest,
  TagResourceRequest,
  UntagResourceRequest,
  UpdateSecretRequest,
} from "@aws-sdk/client-secrets-manager";
import { AwsServiceError } from "../errors.ts";
import { describeSecret, listSecrets, type SecretDescription, versionEntry } from "./secrets-listing.ts";
import { isExpired, type Secret, type SecretsStore, type SecretVersion } from "./secrets-store.ts";

/** Binary values travel as base64 strings. */
type Wire<T> = Omit<T, "SecretBinary"> & { SecretBinary?: string };
type Value = { SecretString?: string; SecretBinary?: string; ClientRequestToken?: string };
type Named = { ARN: string; Name: string };

const err = (code: string, message: string) => new AwsServiceError(code, message, 400);
const notFound = () => err("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
const markedForDeletion = () =>
  err("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.");
const needsId = () => err("InvalidParameterException", "You must provide a SecretId.");

export class SecretsService {
  constructor(readonly store: SecretsStore) {}

  /** The secret `id` names, purging it when it is past its deletion date. */
  find(id: unknown): Secret | undefined {
    const secret = this.store.lookup(id);
    if (secret && isExpired(secret)) {
      this.store.delete(secret);
      return undefined;
    }
    return secret;
  }

  private existing(id: unknown): Secret {
    if (typeof id !== "string" || id === "") throw needsId();
    const secret = this.find(id);
    if (!secret) throw notFound();
    return secret;
  }

  private live(id: unknown): Secret {
    const secret = this.existing(id);
    if (secret.deletedAt !== undefined) throw markedForDeletion();
    return secret;
  }

  private addVersion(secret: Secret, input: Value, stages: string[] = ["AWSCURRENT"]): SecretVersion {
    const hasString = input.SecretString !== undefined;
    const hasBinary = input.SecretBinary !== undefined;
    if (hasString && hasBinary)
      throw err("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.");
    const token = input.ClientRequestToken;
    if (token !== undefined && (token.length < 32 || token.length > 64)) {
      throw err("InvalidParameterException", "ClientRequestToken must be 32-64 characters long.");
    }
    const same = token ? secret.versions.find((v) => v.id === token) : undefined;
    if (same) {
      if (same.secretString !== input.SecretString || same.secretBinary !== input.SecretBinary) {
        throw err("ResourceExistsException", "You can't modify an existing version, you can only create a new version.");
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

  /** `arn`: the ARN routing authorized the call against, which the new secret takes. */
  CreateSecret(input: Wire<CreateSecretRequest>, arn?: string): Named & { VersionId?: string } {
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
      arn: arn ?? this.store.newArn(name),
      description: input.Description,
      kmsKeyId: input.KmsKeyId,
      tags: Array.isArray(input.Tags) ? (input.Tags as Secret["tags"]) : [],
      createdAt: now,
      lastChangedAt: now,
      versions: [],
    };
    const version = input.SecretString !== undefined || input.SecretBinary !== undefined ? this.addVersion(secret, input) : undefined;
    this.store.put(secret);
    return { ARN: secret.arn, Name: name, ...(version ? { VersionId: version.id } : {}) };
  }

  GetSecretValue(input: GetSecretValueRequest): Named & Record<string, unknown> {
    const secret = this.live(input.SecretId);
    let version: SecretVersion | undefined;
    if (input.VersionId !== undefined) {
      version = secret.versions.find((v) => v.id === input.VersionId);
      if (version && input.VersionStage !== undefined && !version.stages.includes(input.VersionStage)) {
        throw err("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.");
      }
      if (!version)
        throw err("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId}`);
    } else {
      const stage = input.VersionStage ?? "AWSCURRENT";
      version = secret.versions.find((v) => v.stages.includes(stage));
      if (!version)
        throw err("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    }
    secret.lastAccessedAt = Math.floor(Date.now() / 86_400_000) * 86_400_000;
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

  BatchGetSecretValue(input: BatchGetSecretValueRequest): { SecretValues: object[]; Errors: object[] } {
    const SecretValues: object[] = [];
    const Errors: object[] = [];
    for (const id of input.SecretIdList ?? []) {
      try {
        SecretValues.push(this.GetSecretValue({ SecretId: id }));
      } catch (e) {
        if (!(e instanceof AwsServiceError)) throw e;
        Errors.push({ SecretId: id, ErrorCode: e.code, Message: e.message });
      }
    }
    return { SecretValues, Errors };
  }

  PutSecretValue(input: Wire<PutSecretValueRequest>): Named & { VersionId: string; VersionStages: string[] } {
    const secret = this.live(input.SecretId);
    if (input.SecretString === undefined && input.SecretBinary === undefined) {
      throw err("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
    }
    const version = this.addVersion(secret, input, input.VersionStages ?? ["AWSCURRENT"]);
    this.store.changed();
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  UpdateSecret(input: Wire<UpdateSecretRequest>): Named & { VersionId?: string } {
    const secret = this.live(input.SecretId);
    if (input.Description !== undefined) secret.description = input.Description;
    if (input.KmsKeyId !== undefined) secret.kmsKeyId = input.KmsKeyId;
    secret.lastChangedAt = Date.now();
    const version = input.SecretString !== undefined || input.SecretBinary !== undefined ? this.addVersion(secret, input) : undefined;
    this.store.changed();
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.id } : {}) };
  }

  DescribeSecret(input: DescribeSecretRequest): SecretDescription {
    return describeSecret(this.existing(input.SecretId));
  }

  ListSecrets(input: ListSecretsRequest): { SecretList: SecretDescription[]; NextToken?: string } {
    const all = [...this.store.secrets.keys()].map((name) => this.find(name)).filter((s): s is Secret => s !== undefined);
    return listSecrets(all, input);
  }

  ListSecretVersionIds(input: ListSecretVersionIdsRequest): Named & { Versions: object[] } {
    const secret = this.existing(input.SecretId);
    const versions = secret.versions.filter((v) => input.IncludeDeprecated === true || v.stages.length > 0);
    return { ARN: secret.arn, Name: secret.name, Versions: versions.map(versionEntry) };
  }

  DeleteSecret(input: DeleteSecretRequest): Named & { DeletionDate: number } {
    const secret = this.existing(input.SecretId);
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
    if (force) this.store.delete(secret);
    else {
      secret.deletedAt = now;
      secret.deletionDate = deletionDate;
      this.store.changed();
    }
    return { ARN: secret.arn, Name: secret.name, DeletionDate: deletionDate / 1000 };
  }

  RestoreSecret(input: RestoreSecretRequest): Named {
    const secret = this.existing(input.SecretId);
    secret.deletedAt = undefined;
    secret.deletionDate = undefined;
    this.store.changed();
    return { ARN: secret.arn, Name: secret.name };
  }

  TagResource(input: TagResourceRequest): Record<string, never> {
    const secret = this.live(input.SecretId);
    for (const tag of (input.Tags ?? []) as Secret["tags"]) {
      secret.tags = secret.tags.filter((t) => t.Key !== tag.Key);
      secret.tags.push(tag);
    }
    this.store.changed();
    return {};
  }

  UntagResource(input: UntagResourceRequest): Record<string, never> {
    const secret = this.live(input.SecretId);
    const keys = input.TagKeys ?? [];
    secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
    this.store.changed();
    return {};
  }

  GetResourcePolicy(input: GetResourcePolicyRequest): Named & { ResourcePolicy?: string } {
    const secret = this.existing(input.SecretId);
    return { ARN: secret.arn, Name: secret.name, ...(secret.resourcePolicy ? { ResourcePolicy: secret.resourcePolicy } : {}) };
  }

  PutResourcePolicy(input: PutResourcePolicyRequest): Named {
    const secret = this.live(input.SecretId);
    if (typeof input.ResourcePolicy !== "string") throw err("InvalidParameterException", "You must provide a ResourcePolicy.");
    try {
      JSON.parse(input.ResourcePolicy);
    } catch {
      throw err("MalformedPolicyDocumentException", "The policy document you provided isn't valid JSON.");
    }
    secret.resourcePolicy = input.ResourcePolicy;
    this.store.changed();
    return { ARN: secret.arn, Name: secret.name };
  }

  DeleteResourcePolicy(input: DeleteResourcePolicyRequest): Named {
    const secret = this.live(input.SecretId);
    secret.resourcePolicy = undefined;
    this.store.changed();
    return { ARN: secret.arn, Name: secret.name };
  }
}
