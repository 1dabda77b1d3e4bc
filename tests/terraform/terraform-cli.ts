/**
 * Runs the real `terraform` binary offline for tests: finds the AWS provider's filesystem mirror
 * on this machine, writes a CLI config pointing at it, and works on a temporary copy of
 * `terraform/` + `pipeline.json` so nothing (state, .terraform, override files) lands in the repo.
 *
 * @example
 * const tf = await prepareTerraform();
 * if (!tf.ok) console.log(`skipped: ${tf.reason}`);
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";

const providerFile = /terraform-provider-aws_v?[0-9.]+_x\d+$/;

/** The folder above `registry.terraform.io` that holds terraform-provider-aws, or undefined. */
export function findProviderMirror(): string | undefined {
  const candidates = [
    process.env.TF_PROVIDER_MIRROR,
    "/opt/tf-plugins",
    "/usr/share/terraform/plugins",
    join(process.env.HOME ?? "/root", ".terraform.d/plugins"),
  ];
  for (const c of candidates) {
    if (c && existsSync(join(c, "registry.terraform.io/hashicorp/aws"))) return c;
  }
  // Last resort: look for the binary itself (bounded depth, so it stays fast).
  const found = spawnSync("find", ["/opt", "/usr", "/root", "-maxdepth", "9", "-name", "terraform-provider-aws*", "-type", "f"], {
    encoding: "utf8",
    timeout: 20_000,
  });
  const hit = found.stdout?.split("\n").find((l) => providerFile.test(l));
  if (!hit) return undefined;
  const marker = hit.indexOf("/registry.terraform.io/");
  return marker > 0 ? hit.slice(0, marker) : undefined;
}

export interface Terraform {
  ok: true;
  /** Temporary copy of the repo's terraform/ and pipeline.json. */
  root: string;
  envDir(env: string): string;
  run(
    args: string[],
    options?: { cwd?: string; env?: Record<string, string>; timeoutMs?: number },
  ): Promise<{ stdout: string; stderr: string }>;
  cleanup(): Promise<void>;
}

export async function prepareTerraform(): Promise<Terraform | { ok: false; reason: string }> {
  if (spawnSync("terraform", ["version"], { stdio: "ignore" }).status !== 0) return { ok: false, reason: "terraform is not installed" };
  const mirror = findProviderMirror();
  if (!mirror) return { ok: false, reason: "no filesystem mirror of terraform-provider-aws found (set TF_PROVIDER_MIRROR)" };
  const root = await mkdtemp(join(tmpdir(), "bluemoxon-tf-"));
  await cp(resolve(repoRoot, "terraform"), join(root, "terraform"), {
    recursive: true,
    filter: (src) => !src.includes(`${"/"}.terraform${"/"}`) && !src.endsWith("/.terraform") && !src.endsWith(".tfstate"),
  });
  await cp(resolve(repoRoot, "pipeline.json"), join(root, "pipeline.json"));
  const cliConfig = join(root, "cli.tfrc");
  await writeFile(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`);
  const baseEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
  };
  return {
    ok: true,
    root,
    envDir: (env) => join(root, "terraform/envs", env),
    run: (args, options = {}) =>
      new Promise((res, rej) => {
        execFile(
          "terraform",
          [...args],
          {
            cwd: options.cwd ?? root,
            env: { ...baseEnv, ...options.env },
            timeout: options.timeoutMs ?? 240_000,
            maxBuffer: 64 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            if (error) rej(new Error(`terraform ${args.join(" ")} failed: ${stderr || stdout}`, { cause: error }));
            else res({ stdout, stderr });
          },
        );
      }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A provider override that points every AWS service the pipeline uses at one endpoint (moto). */
export function motoOverride(endpoint: string): string {
  const services = [
    "apigatewayv2",
    "cloudwatch",
    "cloudwatchlogs",
    "ec2",
    "ecr",
    "events",
    "iam",
    "lambda",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
  ];
  return `# Written by the test only: local state and moto endpoints.
terraform {
  backend "local" {}
}

provider "aws" {
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  endpoints {
${services.map((s) => `    ${s} = ${JSON.stringify(endpoint)}`).join("\n")}
  }
}
`;
}

export const repoTerraformDir = resolve(repoRoot, "terraform");
