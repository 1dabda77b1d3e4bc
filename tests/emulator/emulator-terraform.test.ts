/**
 * Terraform's AWS provider against the embedded emulator: `apply` and `destroy` of the project's
 * SQS, S3 and Secrets Manager resources (the same attributes as terraform/modules, from
 * pipeline.json), with only AWS_ENDPOINT_URL pointing at the emulator and IAM enforced. A plan
 * right after the apply must be empty: every read-back the provider makes (queue attributes and
 * tags, bucket sub-resources, secret description, tags and resource policy) is answered as AWS does.
 * Skips, saying why, when terraform or the provider mirror is absent.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GetBucketEncryptionCommand, GetPublicAccessBlockCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { loadManifest } from "@bluemoxon/core";
import { type Emulator, startEmulator } from "@bluemoxon/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTerraform, type Terraform } from "../terraform/terraform-cli.ts";

const prefix = "bluemoxon-tfemu";
const region = "us-east-1";

// Mirrors terraform/modules/queue (without its CloudWatch alarm, which the emulator does not serve)
// and the bucket and secret resources of terraform/modules/pipeline.
const rootModule = `
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region                      = "${region}"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}

locals {
  m      = jsondecode(file("\${path.module}/../pipeline.json"))
  prefix = "${prefix}"
  tags   = { project = local.m.project, environment = "emulator", managed_by = "terraform" }
}

resource "aws_sqs_queue" "dlq" {
  for_each                  = local.m.queues
  name                      = "\${local.prefix}-\${each.key}-dlq"
  message_retention_seconds = try(each.value.deadLetter.messageRetentionSeconds, 1209600)
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

resource "aws_sqs_queue" "this" {
  for_each                   = local.m.queues
  name                       = "\${local.prefix}-\${each.key}"
  visibility_timeout_seconds = each.value.visibilityTimeoutSeconds
  message_retention_seconds  = try(each.value.messageRetentionSeconds, 345600)
  receive_wait_time_seconds  = try(each.value.receiveWaitTimeSeconds, 20)
  delay_seconds              = try(each.value.delaySeconds, 0)
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = each.value.deadLetter.maxReceiveCount
  })
  tags = local.tags
}

resource "aws_s3_bucket" "this" {
  for_each = local.m.buckets
  bucket   = "\${local.prefix}-\${each.key}"
  tags     = local.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.m.buckets
  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.m.buckets
  bucket   = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_secretsmanager_secret" "this" {
  for_each                = local.m.secrets
  name                    = "\${local.prefix}/\${each.key}"
  description             = each.value.description
  recovery_window_in_days = 0
  tags                    = local.tags
}
`;

describe("terraform against the emulator", () => {
  const manifest = loadManifest();
  let tf: Terraform | undefined;
  let skipReason = "";
  let emulator: Emulator | undefined;
  let cwd = "";
  let env: Record<string, string> = {};
  let applied = false;

  beforeAll(async () => {
    const prepared = await prepareTerraform();
    if (!prepared.ok) {
      skipReason = prepared.reason;
      console.log(`terraform-on-emulator tests skipped: ${skipReason}`);
      return;
    }
    tf = prepared;
    emulator = await startEmulator({ port: 0, iam: { enforce: true, principals: [] } });
    cwd = join(tf.root, "emulator-root");
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, "main.tf"), rootModule);
    const { accessKeyId, secretAccessKey } = emulator.iam.adminCredentials;
    env = { AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: region };
    await tf.run(["init", "-no-color"], { cwd, env });
  }, 240_000);

  afterAll(async () => {
    if (tf && applied) await tf.run(["destroy", "-auto-approve", "-no-color"], { cwd, env }).catch((e) => console.error(e));
    await emulator?.close();
    await tf?.cleanup();
  }, 300_000);

  const clients = () => {
    const credentials = emulator!.iam.adminCredentials;
    return {
      sqs: new SQSClient({ endpoint: emulator!.url, region, credentials }),
      s3: new S3Client({ endpoint: emulator!.url, region, credentials, forcePathStyle: true }),
      secrets: new SecretsManagerClient({ endpoint: emulator!.url, region, credentials }),
    };
  };

  it("applies the project's queues, buckets and secrets, and a plan right after is empty", async (ctx) => {
    if (!tf || !emulator) return ctx.skip(skipReason);
    await tf.run(["apply", "-auto-approve", "-no-color"], { cwd, env, timeoutMs: 300_000 });
    applied = true;
    const aws = clients();
    for (const [logical, spec] of Object.entries(manifest.queues)) {
      const { QueueUrl } = await aws.sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-${logical}` }));
      const { Attributes: a = {} } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
      expect(Number(a.VisibilityTimeout)).toBe(spec.visibilityTimeoutSeconds);
      expect(JSON.parse(a.RedrivePolicy ?? "{}")).toEqual({
        deadLetterTargetArn: `arn:aws:sqs:${region}:000000000000:${prefix}-${logical}-dlq`,
        maxReceiveCount: spec.deadLetter.maxReceiveCount,
      });
    }
    for (const logical of Object.keys(manifest.buckets)) {
      const Bucket = `${prefix}-${logical}`;
      const block = await aws.s3.send(new GetPublicAccessBlockCommand({ Bucket }));
      expect(block.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const encryption = await aws.s3.send(new GetBucketEncryptionCommand({ Bucket }));
      expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("AES256");
    }
    for (const [logical, spec] of Object.entries(manifest.secrets)) {
      const secret = await aws.secrets.send(new DescribeSecretCommand({ SecretId: `${prefix}/${logical}` }));
      expect(secret.Description).toBe(spec.description);
      expect(secret.Tags).toEqual(expect.arrayContaining([{ Key: "managed_by", Value: "terraform" }]));
    }
    // -detailed-exitcode: 0 = no changes, 2 = changes (a read-back the provider did not recognise).
    await tf.run(["plan", "-detailed-exitcode", "-no-color"], { cwd, env });
  }, 420_000);

  it("destroys everything it created", async (ctx) => {
    if (!tf || !emulator || !applied) return ctx.skip(skipReason || "nothing applied");
    await tf.run(["destroy", "-auto-approve", "-no-color"], { cwd, env, timeoutMs: 300_000 });
    applied = false;
    expect((await tf.run(["state", "list"], { cwd, env })).stdout.trim()).toBe("");
    const aws = clients();
    for (const logical of Object.keys(manifest.queues)) {
      await expect(aws.sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-${logical}` }))).rejects.toThrow();
    }
    for (const logical of Object.keys(manifest.buckets)) {
      await expect(aws.s3.send(new HeadBucketCommand({ Bucket: `${prefix}-${logical}` }))).rejects.toThrow();
    }
    for (const logical of Object.keys(manifest.secrets)) {
      await expect(aws.secrets.send(new DescribeSecretCommand({ SecretId: `${prefix}/${logical}` }))).rejects.toThrow();
    }
  }, 360_000);
});
