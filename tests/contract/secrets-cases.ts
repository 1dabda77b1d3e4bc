/** Secrets Manager through SDK v3 (JSON 1.1): what config loading and API-key rotation rely on. */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { expect } from "vitest";
import { awsError } from "./aws-error.ts";
import type { ContractCase } from "./contract-case.ts";
import type { ContractContext } from "./contract-context.ts";

async function createSecret(ctx: ContractContext, value: string, Description?: string) {
  const Name = `bluemoxon-contract/${ctx.uniqueName("secret")}`;
  const out = await ctx.secrets.send(new CreateSecretCommand({ Name, SecretString: value, Description }));
  return { Name, ARN: out.ARN!, VersionId: out.VersionId! };
}

export function secretsCases(contractCase: ContractCase): void {
  contractCase("secrets: CreateSecret returns an ARN with a 6-character suffix; GetSecretValue works by name and by ARN", async (ctx) => {
    const value = JSON.stringify({ keys: ["current-key", "previous-key"] });
    const { Name, ARN, VersionId } = await createSecret(ctx, value);
    expect(ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:\\d{12}:secret:${Name}-[A-Za-z0-9]{6}$`));
    expect(VersionId).toBeTruthy();
    const byName = await ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name }));
    expect(byName).toMatchObject({ Name, ARN, VersionId, SecretString: value });
    expect(byName.VersionStages).toEqual(["AWSCURRENT"]);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    const byArn = await ctx.secrets.send(new GetSecretValueCommand({ SecretId: ARN }));
    expect(byArn.SecretString).toBe(value);
  });

  contractCase("secrets: PutSecretValue moves AWSCURRENT to the new version and AWSPREVIOUS to the old one", async (ctx) => {
    const { Name, VersionId: v1 } = await createSecret(ctx, "one");
    const put = await ctx.secrets.send(new PutSecretValueCommand({ SecretId: Name, SecretString: "two" }));
    expect(put.VersionId).toBeTruthy();
    expect(put.VersionId).not.toBe(v1);
    expect(put.VersionStages).toEqual(["AWSCURRENT"]);
    const current = await ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name }));
    expect(current).toMatchObject({ SecretString: "two", VersionId: put.VersionId });
    const previous = await ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: "AWSPREVIOUS" }));
    expect(previous).toMatchObject({ SecretString: "one", VersionId: v1 });
    expect(previous.VersionStages).toEqual(["AWSPREVIOUS"]);
    const byVersion = await ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name, VersionId: v1 }));
    expect(byVersion.SecretString).toBe("one");
    await ctx.secrets.send(new PutSecretValueCommand({ SecretId: Name, SecretString: "three" }));
    const described = await ctx.secrets.send(new DescribeSecretCommand({ SecretId: Name }));
    const stages = described.VersionIdsToStages ?? {};
    expect(stages[put.VersionId!]).toEqual(["AWSPREVIOUS"]);
    // The version that lost every stage is no longer listed with AWSCURRENT/AWSPREVIOUS.
    expect(stages[v1] ?? []).toEqual([]);
  });

  contractCase("secrets: UpdateSecret changes the description, and with a value makes a new current version", async (ctx) => {
    const { Name, VersionId: v1 } = await createSecret(ctx, "first", "before");
    await ctx.secrets.send(new UpdateSecretCommand({ SecretId: Name, Description: "after" }));
    const described = await ctx.secrets.send(new DescribeSecretCommand({ SecretId: Name }));
    expect(described.Description).toBe("after");
    expect((await ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name }))).VersionId).toBe(v1);
    const updated = await ctx.secrets.send(new UpdateSecretCommand({ SecretId: Name, SecretString: "second" }));
    expect(updated.VersionId).toBeTruthy();
    expect(updated.VersionId).not.toBe(v1);
    const current = await ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name }));
    expect(current).toMatchObject({ SecretString: "second", VersionId: updated.VersionId });
    const previous = await ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name, VersionStage: "AWSPREVIOUS" }));
    expect(previous.SecretString).toBe("first");
  });

  contractCase("secrets: DescribeSecret and ListSecrets describe the secret without its value", async (ctx) => {
    const { Name, ARN, VersionId } = await createSecret(ctx, "hidden-value", "api key");
    const described = await ctx.secrets.send(new DescribeSecretCommand({ SecretId: ARN }));
    expect(described).toMatchObject({ Name, ARN, Description: "api key" });
    expect(described.VersionIdsToStages).toEqual({ [VersionId]: ["AWSCURRENT"] });
    expect(JSON.stringify(described)).not.toContain("hidden-value");
    const listed = await ctx.secrets.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: [Name] }] }));
    const entry = (listed.SecretList ?? []).find((s) => s.Name === Name);
    expect(entry).toMatchObject({ Name, ARN, Description: "api key" });
    expect(JSON.stringify(listed)).not.toContain("hidden-value");
  });

  contractCase("secrets: DeleteSecret with a recovery window schedules deletion and blocks reads", async (ctx) => {
    const { Name, ARN } = await createSecret(ctx, "soon-gone");
    const before = Date.now();
    const deleted = await ctx.secrets.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    expect(deleted).toMatchObject({ Name, ARN });
    const days = (deleted.DeletionDate!.getTime() - before) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
    const described = await ctx.secrets.send(new DescribeSecretCommand({ SecretId: Name }));
    expect(described.DeletedDate).toBeInstanceOf(Date);
    const err = await awsError(ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name })));
    expect(err.name).toBe("InvalidRequestException");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  contractCase("secrets: ListSecrets leaves out secrets scheduled for deletion unless IncludePlannedDeletion", async (ctx) => {
    const { Name } = await createSecret(ctx, "planned");
    await ctx.secrets.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7 }));
    const filters = [{ Key: "name" as const, Values: [Name] }];
    const plain = await ctx.secrets.send(new ListSecretsCommand({ Filters: filters }));
    expect((plain.SecretList ?? []).map((s) => s.Name)).not.toContain(Name);
    const planned = await ctx.secrets.send(new ListSecretsCommand({ Filters: filters, IncludePlannedDeletion: true }));
    const entry = (planned.SecretList ?? []).find((s) => s.Name === Name);
    expect(entry?.DeletedDate).toBeInstanceOf(Date);
  });

  contractCase("secrets: DeleteSecret with ForceDeleteWithoutRecovery removes it; reads are ResourceNotFoundException", async (ctx) => {
    const { Name } = await createSecret(ctx, "gone-now");
    const deleted = await ctx.secrets.send(new DeleteSecretCommand({ SecretId: Name, ForceDeleteWithoutRecovery: true }));
    expect(deleted.Name).toBe(Name);
    const err = await awsError(ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name })));
    expect(err.name).toBe("ResourceNotFoundException");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  contractCase("secrets: a recovery window together with force is InvalidParameterException", async (ctx) => {
    const { Name } = await createSecret(ctx, "either-or");
    const err = await awsError(
      ctx.secrets.send(new DeleteSecretCommand({ SecretId: Name, RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })),
    );
    expect(err.name).toBe("InvalidParameterException");
    expect((await ctx.secrets.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe("either-or");
  });

  contractCase("secrets: a missing secret is ResourceNotFoundException; a duplicate name is ResourceExistsException", async (ctx) => {
    const missing = await awsError(ctx.secrets.send(new GetSecretValueCommand({ SecretId: ctx.uniqueName("no-such-secret") })));
    expect(missing.name).toBe("ResourceNotFoundException");
    expect(missing.$metadata?.httpStatusCode).toBe(400);
    const describeMissing = await awsError(ctx.secrets.send(new DescribeSecretCommand({ SecretId: ctx.uniqueName("no-such-secret") })));
    expect(describeMissing.name).toBe("ResourceNotFoundException");
    const { Name } = await createSecret(ctx, "v");
    const dup = await awsError(ctx.secrets.send(new CreateSecretCommand({ Name, SecretString: "v2" })));
    expect(dup.name).toBe("ResourceExistsException");
    expect(dup.$metadata?.httpStatusCode).toBe(400);
  });
}
