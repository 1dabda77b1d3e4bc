import { loadManifest, resourceNames, servicePolicy } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";
import { isAllowed } from "./policy.ts";
import { createPrincipals } from "./principals.ts";

const manifest = loadManifest();

describe("createPrincipals", () => {
  it("makes an admin and one principal per service, with AWS-shaped distinct keys", () => {
    const { admin, services } = createPrincipals(manifest, { environment: "local" });
    expect(admin.admin).toBe(true);
    expect(Object.keys(services).sort()).toEqual(Object.keys(manifest.services).sort());
    const all = [admin, ...Object.values(services)];
    for (const p of all) {
      expect(p.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
      expect(p.secretAccessKey).toHaveLength(40);
      expect(p.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    }
    expect(new Set(all.map((p) => p.accessKeyId)).size).toBe(all.length);
    expect(new Set(all.map((p) => p.secretAccessKey)).size).toBe(all.length);
  });

  it("derives the same keys from the same seed, and different ones otherwise", () => {
    const a = createPrincipals(manifest, { environment: "local", seed: "stack-1" });
    const b = createPrincipals(manifest, { environment: "local", seed: "stack-1" });
    const c = createPrincipals(manifest, { environment: "local", seed: "stack-2" });
    const random = createPrincipals(manifest, { environment: "local" });
    expect(b.services.api.accessKeyId).toBe(a.services.api.accessKeyId);
    expect(b.services.api.secretAccessKey).toBe(a.services.api.secretAccessKey);
    expect(b.admin.secretAccessKey).toBe(a.admin.secretAccessKey);
    expect(c.services.api.accessKeyId).not.toBe(a.services.api.accessKeyId);
    expect(random.services.api.accessKeyId).not.toBe(a.services.api.accessKeyId);
  });

  it("gives each service exactly the statements Terraform generates, resolved for the environment and account", () => {
    const { services } = createPrincipals(manifest, { environment: "staging", accountId: "123456789012", region: "eu-west-1" });
    const names = resourceNames(manifest, { environment: "staging", accountId: "123456789012", region: "eu-west-1" });
    expect(services.api.statements).toEqual(servicePolicy(manifest, "api", names));
    const queue = names.queueArn("image-processing");
    expect(queue).toBe("arn:aws:sqs:eu-west-1:123456789012:bluemoxon-staging-image-processing");
    expect(isAllowed(services.api, "sqs:GetQueueAttributes", queue)).toBe(true);
    expect(isAllowed(services.worker, "sqs:SendMessage", queue)).toBe(false);
    expect(isAllowed(services.worker, "sqs:ReceiveMessage", queue)).toBe(true);
    expect(isAllowed(services.worker, "s3:GetObject", `${names.bucketArn("images")}/originals/x.jpg`)).toBe(true);
    expect(isAllowed(services.worker, "secretsmanager:GetSecretValue", `${names.secretArnPattern("api-key").slice(0, -6)}abcdef`)).toBe(
      false,
    );
    expect(isAllowed(services.api, "secretsmanager:GetSecretValue", `${names.secretArnPattern("api-key").slice(0, -6)}abcdef`)).toBe(true);
  });
});
