import { describe, expect, it } from "vitest";
import { defaultManifestPath, loadManifest } from "./manifest.ts";
import { deployedFunctions, resourceNames, servicePolicy } from "./resource-names.ts";

const manifest = loadManifest(defaultManifestPath);

describe("resource names", () => {
  it("prefix logical names with the environment's prefix", () => {
    const n = resourceNames(manifest, { environment: "staging", accountId: "123456789012" });
    expect(n.queue("image-processing")).toBe("bluemoxon-staging-image-processing");
    expect(n.dlqArn("image-processing")).toBe("arn:aws:sqs:us-east-1:123456789012:bluemoxon-staging-image-processing-dlq");
    expect(n.bucket("images")).toBe("bluemoxon-staging-images");
    expect(n.resolveRef("objects:images")).toBe("arn:aws:s3:::bluemoxon-staging-images/*");
    expect(n.secret("api-key")).toBe("bluemoxon-staging/api-key");
  });

  it("refuse an unknown environment, listing the known ones", () => {
    expect(() => resourceNames(manifest, { environment: "qa" })).toThrow(
      /unknown environment "qa" \(pipeline.json has: local, staging, prod\)/,
    );
  });

  it("turn a service's permissions into policy statements", () => {
    const n = resourceNames(manifest, { environment: "local" });
    const statements = servicePolicy(manifest, "api", n);
    const onQueue = statements.find((s) => s.Resource.includes(n.queueArn("image-processing")));
    expect(onQueue?.Action).toEqual(["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]);
  });

  it("list every deployed function with its image and its requiredEnv merged with its service's", () => {
    const withExtra = {
      ...manifest,
      functions: { "image-worker": { ...manifest.functions["image-worker"], requiredEnv: ["ONLY_THE_FUNCTION", "IMAGE_BUCKET"] } },
    };
    const fns = deployedFunctions(withExtra, resourceNames(withExtra, { environment: "prod" }));
    expect(fns.map((f) => [f.name, f.image, f.service])).toEqual([
      ["bluemoxon-prod-api", "api", "api"],
      ["bluemoxon-prod-image-worker", "worker", "worker"],
    ]);
    expect(fns[0].requiredEnv).toEqual(manifest.services.api.requiredEnv);
    const worker = fns[1].requiredEnv;
    expect(worker).toEqual([
      "ONLY_THE_FUNCTION",
      "IMAGE_BUCKET",
      ...manifest.services.worker.requiredEnv.filter((n) => n !== "IMAGE_BUCKET"),
    ]);
    expect(new Set(worker).size).toBe(worker.length);
  });
});
