import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultManifestPath, loadManifest, ManifestError, parseManifest } from "./manifest.ts";
import { manifestJsonSchema } from "./manifest-json-schema.ts";

const raw = () => JSON.parse(readFileSync(defaultManifestPath, "utf8"));

describe("pipeline.json", () => {
  it("validates and declares the pipeline's resources", () => {
    const m = loadManifest(defaultManifestPath);
    expect(Object.keys(m.buckets)).toEqual(["images"]);
    expect(m.queues["image-processing"].deadLetter.maxReceiveCount).toBeGreaterThan(0);
    expect(Object.keys(m.secrets)).toContain("api-key");
    expect(m.functions["image-worker"].queue).toBe("image-processing");
    expect(Object.keys(m.services).sort()).toEqual(["api", "worker"]);
  });

  it("gives the API the SQS permissions its health check needs", () => {
    const m = loadManifest(defaultManifestPath);
    const queueActions = m.services.api.permissions.filter((p) => p.resources.includes("queue:image-processing")).flatMap((p) => p.actions);
    expect(queueActions).toEqual(expect.arrayContaining(["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]));
  });

  it("matches the committed JSON Schema (run `npm run manifest:schema` after changing the zod schema)", () => {
    const committed = JSON.parse(readFileSync(new URL("../pipeline.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(manifestJsonSchema())));
  });
});

describe("manifest schema rejects", () => {
  it("a queue without a dead-letter queue", () => {
    const m = raw();
    delete m.queues["image-processing"].deadLetter;
    expect(() => parseManifest(m)).toThrow(/queues\.image-processing\.deadLetter: every queue needs a deadLetter queue/);
  });

  it("a visibility timeout under 6 × the function timeout", () => {
    const m = raw();
    m.queues["image-processing"].visibilityTimeoutSeconds = 6 * m.functions["image-worker"].timeoutSeconds - 1;
    expect(() => parseManifest(m)).toThrow(/visibility timeout \d+s is under 6 × the timeout of function "image-worker"/);
  });

  it("accepts exactly 6 × the function timeout", () => {
    const m = raw();
    m.queues["image-processing"].visibilityTimeoutSeconds = 6 * m.functions["image-worker"].timeoutSeconds;
    expect(() => parseManifest(m)).not.toThrow();
  });

  it("an unknown permission resource", () => {
    const m = raw();
    m.services.api.permissions.push({ actions: ["sqs:SendMessage"], resources: ["queue:thumbnails"] });
    expect(() => parseManifest(m)).toThrow(/services\.api\.permissions\.\d+\.resources\.0: unknown permission resource "queue:thumbnails"/);
  });

  it("an unknown action and a malformed resource reference", () => {
    const m = raw();
    m.services.worker.permissions.push({ actions: ["sqs:*"], resources: ["arn:aws:sqs:*"] });
    expect(() => parseManifest(m)).toThrow(ManifestError);
  });

  it("a function on an unknown queue", () => {
    const m = raw();
    m.functions["image-worker"].queue = "nope";
    expect(() => parseManifest(m)).toThrow(/unknown queue "nope"/);
  });

  it("unknown top-level keys (typos)", () => {
    const m = raw();
    m.queue = {};
    expect(() => parseManifest(m)).toThrow(ManifestError);
  });

  it("a file that is not JSON, naming the path", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const p = join(mkdtempSync(join(tmpdir(), "bmx-")), "pipeline.json");
    writeFileSync(p, "{ nope");
    expect(() => loadManifest(p)).toThrow(new RegExp(`manifest ${p} is not valid JSON`));
  });
});
