/**
 * Rules the manifest's IAM permissions must follow because of how real AWS answers, which the
 * emulators do not model: S3 returns 403 AccessDenied (not 404 NoSuchKey) for a missing object
 * unless the caller may s3:ListBucket on its bucket, so a service that reads objects without it
 * can never tell "source missing" (permanent) from "no access" (retry) — jobs retry into the DLQ.
 */
import { loadManifest } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";

const manifest = loadManifest();

describe("pipeline.json permissions", () => {
  it("every service that may s3:GetObject in a bucket may also s3:ListBucket it (missing key → 404, not 403)", () => {
    const problems: string[] = [];
    for (const [service, spec] of Object.entries(manifest.services)) {
      const granted = new Set(spec.permissions.flatMap((p) => p.actions.flatMap((a) => p.resources.map((r) => `${a} ${r}`))));
      for (const pair of granted) {
        const [action, resource] = pair.split(" ");
        if (action !== "s3:GetObject" || !resource.startsWith("objects:")) continue;
        const bucket = `bucket:${resource.slice("objects:".length)}`;
        if (!granted.has(`s3:ListBucket ${bucket}`))
          problems.push(`${service}: s3:GetObject on ${resource} without s3:ListBucket on ${bucket}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
