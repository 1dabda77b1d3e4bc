/** How secrets and versions are described (`DescribeSecret`, `ListSecrets`, `ListSecretVersionIds`), with ListSecrets' filters. */
import type { ListSecretsRequest } from "@aws-sdk/client-secrets-manager";
import type { Secret, SecretVersion } from "./secrets-store.ts";

export type SecretDescription = Record<string, unknown> & { ARN: string; Name: string };

export function describeSecret(secret: Secret): SecretDescription {
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

export function versionEntry(version: SecretVersion): Record<string, unknown> {
  return { VersionId: version.id, VersionStages: [...version.stages], CreatedDate: version.createdAt / 1000 };
}

/** One page of `secrets` (live ones) matching the request's filters, oldest first. */
export function listSecrets(secrets: Secret[], input: ListSecretsRequest): { SecretList: SecretDescription[]; NextToken?: string } {
  const filters = input.Filters ?? [];
  const matches = (s: Secret) =>
    filters.every((f) =>
      (f.Values ?? []).some((raw) => {
        const negate = raw.startsWith("!");
        const value = negate ? raw.slice(1) : raw;
        const hit = filterFields(s, f.Key).some((x) => x.startsWith(value));
        return negate ? !hit : hit;
      }),
    );
  const all = secrets
    .filter((s) => (input.IncludePlannedDeletion === true || s.deletedAt === undefined) && matches(s))
    .sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1));
  const max = Math.min(Number(input.MaxResults ?? 100), 100);
  const start = input.NextToken ? Number(Buffer.from(String(input.NextToken), "base64url").toString()) : 0;
  const out: { SecretList: SecretDescription[]; NextToken?: string } = {
    SecretList: all.slice(start, start + max).map(describeSecret),
  };
  if (start + max < all.length) out.NextToken = Buffer.from(String(start + max)).toString("base64url");
  return out;
}

function filterFields(s: Secret, key: string | undefined): string[] {
  if (key === "name") return [s.name];
  if (key === "description") return [s.description ?? ""];
  if (key === "tag-key") return s.tags.map((t) => t.Key);
  if (key === "tag-value") return s.tags.map((t) => t.Value);
  return [s.name, s.description ?? "", ...s.tags.flatMap((t) => [t.Key, t.Value])];
}
