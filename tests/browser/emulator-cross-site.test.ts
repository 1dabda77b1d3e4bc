/**
 * A page on another site, in a real headless Chromium, against the emulator as the CLI runs it
 * (IAM off): a form POST that deletes a queue, a text/plain fetch that reads a secret, the
 * `__proto__` POST that once turned IAM off — all fail and change nothing, and no answer carrying
 * the secret ever leaves the emulator (a rebound host name: tests/emulator/emulator-browser-requests.test.ts,
 * since that needs a resolver rule this shared launcher does not set). A page that
 * shows photos the way the dashboard does (`<img>` of presigned URLs, IAM on as under npm start)
 * still shows them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { type Emulator, startEmulator } from "@bluemoxon/emulator";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, launchChromium } from "../support/chromium.ts";

const skipReason = chromiumMissing;
if (skipReason) console.log(`[tests/browser] skipped: ${skipReason}`);

const region = "us-east-1";
const secretValue = '{"keys":["chromium-must-never-read-this"]}';
const baseline = Object.getOwnPropertyNames(Object.prototype);

describe.skipIf(skipReason)("a cross-site page against the emulator, in Chromium", () => {
  let open: Emulator;
  let signed: Emulator;
  let pages: Server;
  let pagesOrigin: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let queueUrl: string;
  let photoUrl: string;
  const emulatorBodies: string[] = [];
  const html = new Map<string, string>();

  beforeAll(async () => {
    open = await startEmulator({ port: 0 });
    const credentials = { accessKeyId: "test", secretAccessKey: "test" };
    const sqs = new SQSClient({ endpoint: open.url, region, credentials, maxAttempts: 1 });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "jobs" }))).QueueUrl!;
    await new SecretsManagerClient({ endpoint: open.url, region, credentials, maxAttempts: 1 }).send(
      new CreateSecretCommand({ Name: "api-key", SecretString: secretValue }),
    );

    signed = await startEmulator({ port: 0, iam: { enforce: true, principals: [] } });
    const s3 = new S3Client({ endpoint: signed.url, region, credentials: signed.iam.adminCredentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "photos" }));
    const png = await sharp({ create: { width: 6, height: 4, channels: 3, background: "#c33" } })
      .png()
      .toBuffer();
    await s3.send(new PutObjectCommand({ Bucket: "photos", Key: "books/1/0.png", Body: png, ContentType: "image/png" }));
    photoUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "photos", Key: "books/1/0.png" }), { expiresIn: 600 });

    // The other site: "localhost" is a different site from 127.0.0.1, where the emulator listens.
    pages = createServer((req, res) => {
      const body = html.get(req.url ?? "") ?? "<!doctype html><title>evil</title>";
      res.writeHead(200, { "content-type": "text/html" }).end(body);
    });
    await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
    pagesOrigin = `http://localhost:${(pages.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on("response", async (r) => {
      if (new URL(r.url()).port === String(open.port)) emulatorBodies.push(await r.text().catch(() => ""));
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => pages?.close(r));
    await open?.close();
    await signed?.close();
  });

  const queueExists = () =>
    new SQSClient({ endpoint: open.url, region, credentials: { accessKeyId: "t", secretAccessKey: "t" }, maxAttempts: 1 })
      .send(new GetQueueUrlCommand({ QueueName: "jobs" }))
      .then(
        () => true,
        () => false,
      );

  /** Submits a form to `action` into a hidden frame, as a page does without any script permission, and waits for the frame to load. */
  const submitForm = (action: string, fields: Record<string, string>) =>
    page.evaluate(
      ({ action, fields }) =>
        new Promise<void>((done) => {
          const frame = document.createElement("iframe");
          frame.name = `f${Math.random()}`;
          frame.onload = () => done();
          document.body.append(frame);
          const form = document.createElement("form");
          form.method = "post";
          form.action = action;
          form.target = frame.name;
          for (const [name, value] of Object.entries(fields)) {
            const input = document.createElement("input");
            input.name = name;
            input.value = value;
            form.append(input);
          }
          document.body.append(form);
          form.submit();
        }),
      { action, fields },
    );

  it("a form POST cannot delete a queue (before: 200, the queue was gone)", async () => {
    await page.goto(`${pagesOrigin}/`);
    await submitForm(`${open.url}/`, { Action: "DeleteQueue", QueueUrl: queueUrl });
    expect(await queueExists()).toBe(true);
  });

  it("the __proto__ form POST changes no prototype", async () => {
    await submitForm(`${open.url}/`, { Action: "ListQueues", "__proto__.admin": "1", "constructor.prototype.admin": "1" });
    expect(Object.getOwnPropertyNames(Object.prototype).filter((k) => !baseline.includes(k))).toEqual([]);
  });

  it("a text/plain fetch cannot read a secret (cors or no-cors, with or without x-amz-target)", async () => {
    const outcomes = await page.evaluate(
      async ({ urls }) => {
        const tries: string[] = [];
        for (const url of urls) {
          const variants: Record<string, string>[] = [
            { "content-type": "text/plain" },
            { "content-type": "text/plain", "x-amz-target": "secretsmanager.GetSecretValue" },
          ];
          for (const headers of variants) {
            try {
              const res = await fetch(url, { method: "POST", headers, body: '{"SecretId":"api-key"}' });
              tries.push(`${res.status} ${await res.text()}`);
            } catch (error) {
              tries.push(`refused: ${(error as Error).name}`);
            }
            try {
              const res = await fetch(url, { method: "POST", mode: "no-cors", headers, body: '{"SecretId":"api-key"}' });
              tries.push(`opaque ${res.type} ${await res.text()}`);
            } catch (error) {
              tries.push(`refused: ${(error as Error).name}`);
            }
          }
        }
        return tries;
      },
      { urls: [`${open.url}/`, `${open.url}/000000000000/jobs`] },
    );
    expect(outcomes.join("\n")).not.toContain("chromium-must-never-read-this");
    // Not even the bytes on the wire, which the page cannot see, carried it.
    expect(emulatorBodies.join("\n")).not.toContain("chromium-must-never-read-this");
    expect(emulatorBodies.length).toBeGreaterThan(0);
  });

  it("a page showing presigned photos with <img>, as the dashboard does, still shows them", async () => {
    html.set("/photos", `<!doctype html><title>photos</title><img id="photo" src="${photoUrl.replace(/&/g, "&amp;")}">`);
    await page.goto(`${pagesOrigin}/photos`);
    await expect.poll(() => page.locator("#photo").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(6);
  });
});
