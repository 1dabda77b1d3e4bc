/**
 * A second, non-JavaScript AWS client: the AWS CLI (botocore). Configured only with the endpoint,
 * region, dummy credentials and path-style S3 — nothing else.
 */
import { execFile, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { expect, it } from "vitest";
import type { ContractCase } from "./contract-case.ts";
import type { ContractContext } from "./contract-context.ts";

const run = promisify(execFile);
const md5 = (bytes: string | Uint8Array) => createHash("md5").update(bytes).digest("hex");

let cliMissing: { reason: string | undefined } | undefined;

/** Checked once per process: the probe costs a Python start. */
function awsCliMissingReason(): string | undefined {
  cliMissing ??= { reason: probeAwsCli() };
  return cliMissing.reason;
}

function probeAwsCli(): string | undefined {
  const probe = spawnSync("aws", ["--version"], { encoding: "utf8", timeout: 30_000 });
  if (probe.error || probe.status !== 0) return "the aws CLI is not on PATH";
  return undefined;
}

/** Runs `aws …` against the backend and parses its JSON output (empty output → undefined). */
async function aws(ctx: ContractContext, workDir: string, args: string[]): Promise<unknown> {
  const configFile = join(workDir, "config");
  writeFileSync(configFile, "[default]\ns3 =\n    addressing_style = path\n");
  const { stdout } = await run("aws", ["--endpoint-url", ctx.endpoint, "--region", ctx.region, "--output", "json", ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: workDir,
      AWS_ACCESS_KEY_ID: ctx.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ctx.credentials.secretAccessKey,
      AWS_CONFIG_FILE: configFile,
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, "credentials"),
    },
    timeout: 60_000,
  });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

export function awsCliCases(contractCase: ContractCase): void {
  const missing = awsCliMissingReason();
  const titles = [
    "cli: aws sqs send-message / receive-message interoperate with SDK v3",
    "cli: aws s3 cp and s3api head-object store and return exact bytes",
  ];
  if (missing) {
    for (const title of titles) it.skip(`${title} [skipped: ${missing}]`, () => {});
    return;
  }

  contractCase(
    titles[0],
    async (ctx) => {
      const workDir = mkdtempSync(join(tmpdir(), "contract-cli-"));
      try {
        const { QueueUrl } = await ctx.sqs.send(new CreateQueueCommand({ QueueName: ctx.uniqueName("cli") }));
        const body = "from the CLI — 📚";
        const sent = (await aws(ctx, workDir, ["sqs", "send-message", "--queue-url", QueueUrl!, "--message-body", body])) as {
          MessageId: string;
          MD5OfMessageBody: string;
        };
        expect(sent.MD5OfMessageBody).toBe(md5(body));
        const viaSdk = await ctx.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 0 }));
        expect(viaSdk.Messages?.[0]?.MessageId).toBe(sent.MessageId);
        await ctx.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "ignored" }));
        const received = (await aws(ctx, workDir, [
          "sqs",
          "receive-message",
          "--queue-url",
          QueueUrl!,
          "--max-number-of-messages",
          "10",
          "--wait-time-seconds",
          "1",
          "--attribute-names",
          "All",
        ])) as { Messages: { Body: string; MD5OfBody: string; Attributes: Record<string, string> }[] };
        const bodies = received.Messages.map((m) => m.Body);
        expect(bodies).toContain(body);
        const mine = received.Messages.find((m) => m.Body === body)!;
        expect(mine.MD5OfBody).toBe(md5(body));
        expect(mine.Attributes.ApproximateReceiveCount).toBe("2");
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  contractCase(
    titles[1],
    async (ctx) => {
      const workDir = mkdtempSync(join(tmpdir(), "contract-cli-"));
      try {
        const Bucket = ctx.uniqueName("cli");
        await ctx.s3.send(new CreateBucketCommand({ Bucket }));
        const upload = randomBytes(200_000);
        writeFileSync(join(workDir, "up.bin"), upload);
        await aws(ctx, workDir, ["s3", "cp", "--only-show-errors", join(workDir, "up.bin"), `s3://${Bucket}/cli/up.bin`]);
        const viaSdk = await ctx.s3.send(new GetObjectCommand({ Bucket, Key: "cli/up.bin" }));
        expect(Buffer.from(await viaSdk.Body!.transformToByteArray()).equals(upload)).toBe(true);

        const download = randomBytes(150_000);
        await ctx.s3.send(new PutObjectCommand({ Bucket, Key: "sdk/down.bin", Body: download, ContentType: "image/png" }));
        await aws(ctx, workDir, ["s3", "cp", "--only-show-errors", `s3://${Bucket}/sdk/down.bin`, join(workDir, "down.bin")]);
        expect(readFileSync(join(workDir, "down.bin")).equals(download)).toBe(true);
        const head = (await aws(ctx, workDir, ["s3api", "head-object", "--bucket", Bucket, "--key", "sdk/down.bin"])) as {
          ContentLength: number;
          ContentType: string;
          ETag: string;
        };
        expect(head).toMatchObject({ ContentLength: download.length, ContentType: "image/png", ETag: `"${md5(download)}"` });
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    },
    60_000,
  );
}
