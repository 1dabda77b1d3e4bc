/**
 * The `moved` blocks of api-function and worker-function (their Lambda function and `live` alias
 * went into the shared container-function module): a staging applied with the modules as they
 * were before (tests/terraform/fixtures/modules-before-container-function, copied from the commit
 * before the move) and then planned with today's modules must move those resources — no destroy, no
 * replacement, so no Lambda is recreated and no version or alias is lost on the upgrade.
 */
import { cp, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { loadManifest, repoRoot } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "../support/moto.ts";
import { motoOverride, prepareTerraform, type Terraform } from "./terraform-cli.ts";

const manifest = loadManifest();
const fakeDigest = (c: string) => `sha256:${c.repeat(64)}`;
const before = resolve(repoRoot, "tests/terraform/fixtures/modules-before-container-function");

interface Change {
  address: string;
  previous_address?: string;
  type: string;
  change: { actions: string[] };
}

let tf: Terraform | undefined;
let moto: MotoServer | undefined;
let skipReason = "";

beforeAll(async () => {
  const prepared = await prepareTerraform();
  if (!prepared.ok) {
    skipReason = prepared.reason;
    return console.log(`moved-blocks test skipped: ${skipReason}`);
  }
  tf = prepared;
  moto = await startMoto();
  if (!moto.ok) {
    skipReason = moto.reason;
    return console.log(`moved-blocks test skipped: ${skipReason}`);
  }
}, 120_000);

afterAll(async () => {
  if (moto?.ok) await moto.stop();
  await tf?.cleanup();
});

describe("terraform moved blocks", () => {
  it("a state from before the container-function module plans as moves: nothing destroyed or replaced", async (ctx) => {
    if (skipReason || !tf || !moto?.ok) return ctx.skip(skipReason);
    const modules = join(tf.root, "terraform/modules");
    const cwd = tf.envDir("staging");
    const secrets = new SecretsManagerClient({
      endpoint: moto.endpoint,
      region: manifest.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const db = await secrets.send(
      new CreateSecretCommand({ Name: "external/aurora", SecretString: JSON.stringify({ username: "u", password: "p" }) }),
    );
    secrets.destroy();
    // terraform/bootstrap first (the environment reads its repositories and secret containers).
    const bootstrap = join(tf.root, "terraform/bootstrap");
    await writeFile(join(bootstrap, "moto_override.tf"), motoOverride(moto.endpoint));
    await tf.run(["init", "-no-color"], { cwd: bootstrap });
    await tf.run(["apply", "-auto-approve", "-no-color", "-var", "github_repository=bluemoxon/image-pipeline"], {
      cwd: bootstrap,
      timeoutMs: 480_000,
    });
    await writeFile(join(cwd, "moto_override.tf"), motoOverride(moto.endpoint));
    const vars = [
      "enable_database=false",
      "use_existing_database_credentials=true",
      `database_secret_arn=${db.ARN}`,
      "database_host=aurora.internal",
      ...["api", "worker"].map(
        (i) => `${i}_image=123456789012.dkr.ecr.us-east-1.amazonaws.com/bluemoxon-staging-${i}@${fakeDigest(i === "api" ? "a" : "b")}`,
      ),
    ].flatMap((v) => ["-var", v]);

    const current = join(tf.root, "current-modules");
    await cp(modules, current, { recursive: true });
    for (const m of ["api-function", "worker-function"]) await cp(join(before, m, "main.tf"), join(modules, m, "main.tf"));
    await tf.run(["init", "-no-color"], { cwd });
    await tf.run(["apply", "-auto-approve", "-no-color", ...vars], { cwd, timeoutMs: 480_000 });

    await rm(modules, { recursive: true });
    await cp(current, modules, { recursive: true });
    await tf.run(["init", "-no-color"], { cwd });
    await tf.run(["plan", "-no-color", "-out=tfplan", ...vars], { cwd, timeoutMs: 480_000 });
    const plan = JSON.parse((await tf.run(["show", "-json", "tfplan"], { cwd })).stdout) as { resource_changes: Change[] };

    const destroyed = plan.resource_changes.filter((c) => c.change.actions.includes("delete"));
    expect(destroyed.map((c) => `${c.address} ${c.change.actions.join("+")}`)).toEqual([]);
    const moved = plan.resource_changes
      .filter((c) => c.previous_address)
      .map((c) => `${c.previous_address} → ${c.address}`)
      .sort();
    const fns = ["module.pipeline.module.api", ...Object.keys(manifest.functions).map((f) => `module.pipeline.module.worker["${f}"]`)];
    expect(moved).toEqual(
      fns
        .flatMap((m) => [
          `${m}.aws_lambda_alias.live → ${m}.module.function.aws_lambda_alias.live`,
          `${m}.aws_lambda_function.this → ${m}.module.function.aws_lambda_function.this`,
        ])
        .sort(),
    );
  }, 900_000);
});
