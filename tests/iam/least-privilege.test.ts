/**
 * Least privilege on a laptop (issue 9): the embedded stack enforces each service's permissions
 * from pipeline.json, so a missing permission fails here as it would in AWS, and the declared
 * permissions are exactly the ones the e2e flow uses.
 */

import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { defaultManifestPath, loadManifest, originalKey, resourceNames, serializeImageJobMessage } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";
import { matchesWildcard } from "../../services/emulator/src/iam/index.ts";
import { type Stack, startStack } from "../support/stack.ts";

interface IamCall {
  principal: string;
  action: string;
  resource: string;
  allowed: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: API responses are checked field by field in the tests.
type Json = Record<string, any>;

async function call(stack: Stack, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.api}${path}`, {
    method,
    headers: { "X-API-Key": stack.apiKey, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function waitForJob(stack: Stack, jobId: string, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await call(stack, "GET", `/api/v1/image-jobs/${jobId}`)).body;
    if (job.status === "completed" || job.status === "failed") return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("IAM enforcement in the embedded stack", () => {
  it("names the missing permission when the API may not read queue attributes, and passes once it is restored", async () => {
    const manifest = JSON.parse(readFileSync(defaultManifestPath, "utf8"));
    for (const p of manifest.services.api.permissions) p.actions = p.actions.filter((a: string) => a !== "sqs:GetQueueAttributes");
    const copy = join(mkdtempSync(join(tmpdir(), "bmx-manifest-")), "pipeline.json");
    writeFileSync(copy, JSON.stringify(manifest));

    const denied = await startStack({ env: { PIPELINE_MANIFEST: copy, LOCAL_AWS_TRIGGERS: "off" } });
    let deep: Awaited<ReturnType<typeof call>>;
    try {
      deep = await call(denied, "GET", "/health/deep");
    } finally {
      await denied.stop();
    }
    expect(deep.status).toBe(503);
    const text = JSON.stringify(deep.body);
    expect(text).toMatch(/AccessDenied/);
    expect(text).toMatch(
      /is not authorized to perform: sqs:GetQueueAttributes on resource: arn:aws:sqs:us-east-1:000000000000:bluemoxon-local-image-processing/,
    );

    const restored = await startStack({ dataDir: denied.dataDir, env: { LOCAL_AWS_TRIGGERS: "off" } });
    try {
      const again = await call(restored, "GET", "/health/deep");
      expect(again.status, JSON.stringify(again.body)).toBe(200);
    } finally {
      await restored.stop();
    }
  }, 240_000);

  it("the e2e flow uses exactly the declared permissions: nothing denied, nothing declared unused", async () => {
    const stack = await startStack();
    let calls: IamCall[];
    try {
      // Import → copy (s3:PutObject) → queue (sqs:SendMessage) → worker (receive, get, put, delete).
      const imported = await call(stack, "POST", "/api/v1/books/import/ebay", { url: "https://www.ebay.com/itm/175598765432" });
      expect(imported.status).toBe(201);
      const primary = imported.body.book.photos.find((p: Json) => p.isPrimary);
      const job = await waitForJob(stack, imported.body.job?.id ?? primary.processing.jobId);
      expect(job.status).toBe("completed");
      // Reads with presigned URLs signed by the API's credentials (s3:GetObject).
      const book = (await call(stack, "GET", `/api/v1/books/${imported.body.book.id}`)).body;
      const photo = book.photos.find((p: Json) => p.id === primary.id);
      for (const url of [photo.originalUrl, photo.processedUrl]) expect((await fetch(url)).status).toBe(200);
      // Health: queue URLs and attributes, DLQ depth, bucket, secrets.
      expect((await call(stack, "GET", "/health/deep")).status).toBe(200);
      // Redrive: a dead letter (sent by the admin principal) goes back to the queue.
      const admin = JSON.parse(readFileSync(join(stack.dataDir, "aws/credentials.json"), "utf8")).admin;
      const sqs = new SQSClient({ endpoint: stack.emulator, region: "us-east-1", credentials: admin });
      const names = resourceNames(loadManifest(), { environment: "local" });
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: `${stack.emulator}/000000000000/${names.dlq("image-processing")}`,
          MessageBody: serializeImageJobMessage({
            v: 1,
            jobId: job.id,
            bookId: book.id,
            imageId: primary.id,
            sourceKey: originalKey(book.id, primary.id, "image/jpeg"),
          }),
        }),
      );
      sqs.destroy();
      const redrive = await call(stack, "POST", "/api/v1/admin/image-jobs/redrive");
      expect(redrive.status).toBe(200);
      // The dead letter's job has completed since: the redrive deletes the stale message (the API's
      // sqs:DeleteMessage on the DLQ) and counts it, instead of sending the photo round again.
      expect(redrive.body).toMatchObject({ moved: 0, superseded: 1 });
      // A message whose job row does not exist (yet): the worker hands it back within seconds
      // (sqs:ChangeMessageVisibility) instead of leaving it for the visibility timeout.
      const early = new SQSClient({ endpoint: stack.emulator, region: "us-east-1", credentials: admin });
      await early.send(
        new SendMessageCommand({
          QueueUrl: `${stack.emulator}/000000000000/${names.queue("image-processing")}`,
          MessageBody: serializeImageJobMessage({
            v: 1,
            jobId: randomUUID(),
            bookId: book.id,
            imageId: primary.id,
            sourceKey: originalKey(book.id, primary.id, "image/jpeg"),
          }),
        }),
      );
      early.destroy();
      const deadline = Date.now() + 120_000;
      for (;;) {
        calls = (await (
          await fetch(`${stack.emulator}/_emulator/iam/calls`, { headers: { authorization: `Bearer ${stack.emulatorAdminToken}` } })
        ).json()) as IamCall[];
        if (calls.some((c) => c.principal === "worker" && c.action.toLowerCase() === "sqs:changemessagevisibility")) break;
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await stack.stop();
    }

    const denied = calls.filter((c) => !c.allowed);
    expect(denied).toEqual([]);
    const manifest = loadManifest();
    const names = resourceNames(manifest, { environment: "local" });
    for (const [service, spec] of Object.entries(manifest.services)) {
      const used = calls.filter((c) => c.principal === service);
      let unused: string[] = [];
      for (const statement of spec.permissions) {
        for (const action of statement.actions) {
          for (const ref of statement.resources) {
            const pattern = names.resolveRef(ref);
            if (!used.some((c) => c.action.toLowerCase() === action.toLowerCase() && matchesWildcard(pattern, c.resource))) {
              unused.push(`${action} on ${ref}`);
            }
          }
        }
      }
      // s3:ListBucket only changes what a missing source object answers (404, not 403): the flow
      // never reads a missing object, so it cannot show the call.
      unused = unused.filter((p) => !(service === "worker" && p === "s3:ListBucket on bucket:images"));
      expect(unused, `${service} declares permissions the flow never used`).toEqual([]);
    }
  }, 300_000);
});
