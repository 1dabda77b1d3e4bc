/**
 * Terraform from pipeline.json: formatting, validation of both environments, and a real
 * plan → apply → destroy of staging against moto, checked against the manifest — including the
 * planned IAM policies, which must equal servicePolicy() of @bluemoxon/core exactly (issue 9). The
 * staging first applied is the one from before the container-function module, so the plan that is
 * then applied also proves its `moved` blocks: moves only, nothing destroyed.
 */
import { readFileSync } from "node:fs";
import { cp, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { loadManifest, repoRoot, resourceNames, servicePolicy } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "../support/moto.ts";
import { findProviderMirror, motoOverride, prepareTerraform, repoTerraformDir, type Terraform } from "./terraform-cli.ts";

const manifest = loadManifest();
const fakeDigest = (c: string) => `sha256:${c.repeat(64)}`;
/** api-function and worker-function as they were before the container-function module. */
const modulesBefore = resolve(repoRoot, "tests/terraform/fixtures/modules-before-container-function");

interface StateResource {
  address: string;
  mode: "managed" | "data";
  type: string;
  values: Record<string, unknown>;
}
interface StateModule {
  resources?: StateResource[];
  child_modules?: StateModule[];
}
function allResources(mod: StateModule | undefined): StateResource[] {
  if (!mod) return [];
  return [...(mod.resources ?? []), ...(mod.child_modules ?? []).flatMap(allResources)];
}
type Statement = { Action: string[] | string; Resource: string[] | string };
const asList = (v: string[] | string) => (Array.isArray(v) ? v : [v]);
/** A policy as a set of "action resource" pairs, so statement grouping and order do not matter. */
const pairs = (statements: Statement[]) =>
  new Set(statements.flatMap((s) => asList(s.Action).flatMap((a) => asList(s.Resource).map((r) => `${a} ${r}`))));

let tf: Terraform | undefined;
let skipReason = "";

beforeAll(async () => {
  const prepared = await prepareTerraform();
  if (prepared.ok) tf = prepared;
  else {
    skipReason = prepared.reason;
    console.log(`terraform tests skipped: ${skipReason}`);
  }
});
afterAll(async () => tf?.cleanup());

describe("terraform", () => {
  it("is formatted (terraform fmt -check -recursive)", async (ctx) => {
    if (!tf) return ctx.skip(skipReason);
    await expect(tf.run(["fmt", "-check", "-recursive", "-diff", repoTerraformDir])).resolves.toBeDefined();
  });

  for (const env of ["staging", "prod"]) {
    it(`${env} validates (init -backend=false)`, async (ctx) => {
      if (!tf) return ctx.skip(skipReason);
      const cwd = tf.envDir(env);
      await tf.run(["init", "-backend=false", "-no-color"], { cwd });
      const { stdout } = await tf.run(["validate", "-json"], { cwd });
      const result = JSON.parse(stdout) as { valid: boolean; diagnostics: unknown[] };
      expect(result.diagnostics).toEqual([]);
      expect(result.valid).toBe(true);
    });
  }

  // A lock file written by `init` from a filesystem mirror holds only the h1: hash of the mirror's
  // platform, and `terraform init` on a Mac then refuses the registry's package. The zh: hashes
  // (SHA-256 of every platform's release zip, HashiCorp's SHA256SUMS) are what let any platform verify it.
  for (const env of ["staging", "prod"]) {
    it(`${env}'s lock file verifies the provider on linux_amd64 here and carries every platform's zip hash`, async (ctx) => {
      if (!tf) return ctx.skip(skipReason);
      const lockPath = join(repoTerraformDir, "envs", env, ".terraform.lock.hcl");
      const lock = readFileSync(lockPath, "utf8");
      const zh = lock.match(/"zh:[a-f0-9]{64}"/g) ?? [];
      // One zh: per release zip of terraform-provider-aws 5.100.0 (15, as `init` from the registry writes them).
      expect(new Set(zh).size).toBe(15);
      // Recomputing the lock for this machine's platform from the mirror must not change it.
      const cwd = tf.envDir(env);
      await tf.run(["init", "-backend=false", "-no-color"], { cwd });
      await tf.run(["providers", "lock", "-no-color", `-fs-mirror=${findProviderMirror()}`, "-platform=linux_amd64"], { cwd });
      expect(readFileSync(join(cwd, ".terraform.lock.hcl"), "utf8")).toBe(lock);
    });
  }

  it("rejects an image referenced by tag", async (ctx) => {
    if (!tf) return ctx.skip(skipReason);
    // A copy of prod with local state: variable validation runs before any AWS call.
    const cwd = tf.envDir("prod");
    await writeFile(join(cwd, "local_backend_override.tf"), 'terraform {\n  backend "local" {}\n}\n');
    await tf.run(["init", "-no-color"], { cwd });
    const planned = tf.run(
      [
        "plan",
        "-no-color",
        "-refresh=false",
        "-var",
        "api_image=123456789012.dkr.ecr.us-east-1.amazonaws.com/bluemoxon-prod-api:latest",
        "-var",
        `worker_image=x/y@${fakeDigest("a")}`,
      ],
      { cwd, env: { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x" }, timeoutMs: 240_000 },
    );
    await expect(planned).rejects.toThrow(/api_image must be <repository>@sha256/);
  }, 300_000);
});

describe("terraform staging on moto", () => {
  let moto: MotoServer | undefined;
  let cwd = "";
  let applied = false;
  let accountId = "";
  let plan:
    | {
        planned_values: { root_module: StateModule; outputs: Record<string, { value: unknown }> };
        resource_changes?: { address: string; previous_address?: string; change: { actions: string[] } }[];
      }
    | undefined;
  const vars: string[] = [];

  beforeAll(async () => {
    if (!tf) return;
    moto = await startMoto();
    if (!moto.ok) {
      skipReason = moto.reason;
      console.log(`terraform-on-moto tests skipped: ${skipReason}`);
      return;
    }
    cwd = tf.envDir("staging");
    await writeFile(join(cwd, "moto_override.tf"), motoOverride(moto.endpoint));
    // Staging's Aurora is not applied on moto (moto's RDS does not model managed master
    // passwords); an external database secret stands in for it.
    const secrets = new SecretsManagerClient({
      endpoint: moto.endpoint,
      region: manifest.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const db = await secrets.send(
      new CreateSecretCommand({ Name: "external/aurora", SecretString: JSON.stringify({ username: "u", password: "p" }) }),
    );
    vars.push(
      ...[
        "enable_database=false",
        "use_existing_database_credentials=true",
        `database_secret_arn=${db.ARN}`,
        "database_host=aurora.internal",
      ].flatMap((v) => ["-var", v]),
      ...["api", "worker"].flatMap((i) => [
        "-var",
        `${i}_image=123456789012.dkr.ecr.us-east-1.amazonaws.com/bluemoxon-staging-${i}@${fakeDigest(i === "api" ? "a" : "b")}`,
      ]),
    );
    // terraform/bootstrap first, as on a fresh account: it owns the repositories and secret containers.
    const bootstrap = join(tf.root, "terraform/bootstrap");
    await writeFile(join(bootstrap, "moto_override.tf"), motoOverride(moto.endpoint));
    await tf.run(["init", "-no-color"], { cwd: bootstrap });
    await tf.run(["apply", "-auto-approve", "-no-color", "-var", "github_repository=bluemoxon/image-pipeline"], {
      cwd: bootstrap,
      timeoutMs: 300_000,
    });
    // Staging as it was applied before the container-function module (the modules of that commit,
    // tests/terraform/fixtures): today's plan of that state must move its functions and aliases
    // (the `moved` blocks), never destroy them — checked below, then applied.
    const modules = join(tf.root, "terraform/modules");
    const current = join(tf.root, "current-modules");
    await cp(modules, current, { recursive: true });
    for (const m of ["api-function", "worker-function"]) await cp(join(modulesBefore, m, "main.tf"), join(modules, m, "main.tf"));
    await tf.run(["init", "-no-color"], { cwd });
    await tf.run(["apply", "-auto-approve", "-no-color", ...vars], { cwd, timeoutMs: 480_000 });
    applied = true;
    await rm(modules, { recursive: true });
    await cp(current, modules, { recursive: true });
    await tf.run(["init", "-no-color"], { cwd });
    await tf.run(["plan", "-no-color", "-out=tfplan", ...vars], { cwd, timeoutMs: 480_000 });
    plan = JSON.parse((await tf.run(["show", "-json", "tfplan"], { cwd })).stdout);
    accountId = String(plan?.planned_values.outputs.account_id?.value ?? "");
  }, 600_000);

  afterAll(async () => {
    if (tf && applied)
      await tf.run(["destroy", "-auto-approve", "-no-color", ...vars], { cwd, timeoutMs: 240_000 }).catch((e) => console.error(e));
    if (moto?.ok) await moto.stop();
  }, 300_000);

  it("moves a state from before the container-function module: nothing destroyed or replaced (the moved blocks)", (ctx) => {
    if (!plan) return ctx.skip(skipReason);
    const changes = plan.resource_changes ?? [];
    expect(changes.filter((c) => c.change.actions.includes("delete")).map((c) => `${c.address} ${c.change.actions.join("+")}`)).toEqual([]);
    const fns = ["module.pipeline.module.api", ...Object.keys(manifest.functions).map((f) => `module.pipeline.module.worker["${f}"]`)];
    expect(
      changes
        .filter((c) => c.previous_address)
        .map((c) => `${c.previous_address} → ${c.address}`)
        .sort(),
    ).toEqual(
      fns
        .flatMap((m) => [
          `${m}.aws_lambda_alias.live → ${m}.module.function.aws_lambda_alias.live`,
          `${m}.aws_lambda_function.this → ${m}.module.function.aws_lambda_function.this`,
        ])
        .sort(),
    );
  });

  it("plans IAM policies that equal servicePolicy() of the manifest, exactly", (ctx) => {
    if (!plan) return ctx.skip(skipReason);
    expect(accountId).toMatch(/^\d{12}$/);
    const names = resourceNames(manifest, { environment: "staging", accountId });
    const policies = allResources(plan.planned_values.root_module).filter(
      (r) => r.type === "aws_iam_role_policy" && r.address.endsWith(".manifest"),
    );
    expect(policies.map((p) => p.values.name).sort()).toEqual(
      Object.keys(manifest.services)
        .map((s) => `${names.prefix}-${s}-pipeline`)
        .sort(),
    );
    for (const service of Object.keys(manifest.services)) {
      const planned = policies.find((p) => p.values.name === `${names.prefix}-${service}-pipeline`)!;
      expect(typeof planned.values.policy, `policy of ${service} known at plan time`).toBe("string");
      const doc = JSON.parse(planned.values.policy as string) as { Statement: Statement[] };
      expect(pairs(doc.Statement)).toEqual(pairs(servicePolicy(manifest, service, names)));
    }
  });

  it("applies, and what exists matches pipeline.json", async (ctx) => {
    if (!tf || !plan || !moto?.ok) return ctx.skip(skipReason);
    await tf.run(["apply", "-auto-approve", "-no-color", "tfplan"], { cwd, timeoutMs: 300_000 });
    const names = resourceNames(manifest, { environment: "staging", accountId });

    const sqs = new SQSClient({
      endpoint: moto.endpoint,
      region: manifest.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    for (const [logical, spec] of Object.entries(manifest.queues)) {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.queue(logical) }));
      const { Attributes: a = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
      expect(Number(a.VisibilityTimeout)).toBe(spec.visibilityTimeoutSeconds);
      expect(Number(a.MessageRetentionPeriod)).toBe(spec.messageRetentionSeconds);
      expect(JSON.parse(a.RedrivePolicy ?? "{}")).toEqual({
        deadLetterTargetArn: names.dlqArn(logical),
        maxReceiveCount: spec.deadLetter.maxReceiveCount,
      });
      await expect(sqs.send(new GetQueueUrlCommand({ QueueName: names.dlq(logical) }))).resolves.toHaveProperty("QueueUrl");
    }

    // The provider reads every resource back from moto after creating it; the state is what moto holds.
    const state = JSON.parse((await tf.run(["show", "-json"], { cwd })).stdout) as { values: { root_module: StateModule } };
    const resources = allResources(state.values.root_module);
    const byType = (t: string) => resources.filter((r) => r.type === t && r.mode === "managed");

    for (const [logical, fn] of Object.entries(manifest.functions)) {
      const lambda = byType("aws_lambda_function").find((r) => r.values.function_name === names.function(logical))!;
      expect(lambda.values.package_type).toBe("Image");
      expect(lambda.values.image_uri).toMatch(/@sha256:[a-f0-9]{64}$/);
      const env = (lambda.values.environment as { variables: Record<string, string> }[])[0].variables;
      for (const key of [...fn.requiredEnv, ...manifest.services[fn.service].requiredEnv]) expect(env[key], key).toBeTruthy();
      const mapping = byType("aws_lambda_event_source_mapping").find((r) => r.values.event_source_arn === names.queueArn(fn.queue))!;
      expect(mapping.values.batch_size).toBe(fn.batchSize);
      expect(mapping.values.maximum_batching_window_in_seconds).toBe(fn.maximumBatchingWindowSeconds);
      expect(mapping.values.function_response_types).toEqual(["ReportBatchItemFailures"]);
      expect(mapping.values.scaling_config).toEqual([{ maximum_concurrency: fn.maximumConcurrency }]);
    }
    const api = byType("aws_lambda_function").find((r) => r.values.function_name === `${names.prefix}-api`)!;
    const apiEnv = (api.values.environment as { variables: Record<string, string> }[])[0].variables;
    for (const key of manifest.services.api.requiredEnv) expect(apiEnv[key], key).toBeTruthy();

    const apiPolicy = byType("aws_iam_role_policy").find((r) => r.values.name === `${names.prefix}-api-pipeline`)!;
    const apiPairs = pairs((JSON.parse(apiPolicy.values.policy as string) as { Statement: Statement[] }).Statement);
    for (const action of ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"]) {
      expect(apiPairs.has(`${action} ${names.queueArn("image-processing")}`), action).toBe(true);
    }

    // Repositories and secret containers are bootstrap's: the environment only reads them.
    const read = (t: string) => resources.filter((r) => r.type === t && r.mode === "data");
    expect(byType("aws_ecr_repository")).toEqual([]);
    expect(byType("aws_secretsmanager_secret")).toEqual([]);
    expect(
      read("aws_ecr_repository")
        .map((r) => r.values.name)
        .sort(),
    ).toEqual(
      Object.keys(manifest.images)
        .map((i) => `${names.prefix}-${i}`)
        .sort(),
    );
    for (const repo of read("aws_ecr_repository")) expect(repo.values.image_scanning_configuration).toEqual([{ scan_on_push: true }]);
    expect(
      read("aws_secretsmanager_secret")
        .filter((r) => r.address.includes("aws_secretsmanager_secret.this"))
        .map((r) => r.values.name)
        .sort(),
    ).toEqual(
      Object.keys(manifest.secrets)
        .map((s) => names.secret(s))
        .sort(),
    );
    expect(byType("aws_secretsmanager_secret_version")).toEqual([]);
    expect(byType("aws_cloudwatch_event_rule")[0]?.values.schedule_expression).toMatch(/^rate\(/);
    // The API's Lambda entry recognises the scheduled event itself (source "aws.events"): no custom input.
    // Traffic goes to the published version behind the "live" alias, never to $LATEST.
    const aliases = byType("aws_lambda_alias");
    for (const fn of byType("aws_lambda_function")) {
      const alias = aliases.find((a) => a.values.function_name === fn.values.function_name);
      expect(alias?.values.name, String(fn.values.function_name)).toBe("live");
      expect(fn.values.publish).toBe(true);
      // A published version, never $LATEST; an apply never moves it forward (go-live does, after the
      // migration), so it is at most the version this apply published.
      expect(String(alias?.values.function_version)).toMatch(/^\d+$/);
      expect(Number(alias?.values.function_version)).toBeLessThanOrEqual(Number(fn.values.version));
    }
    // go-live's input (--published): every function, the migrate function included, with the
    // version this apply published.
    const published = JSON.parse((await tf.run(["output", "-json", "published_versions"], { cwd })).stdout);
    const functions = byType("aws_lambda_function");
    expect(functions.map((fn) => String(fn.values.function_name))).toContain(`${names.prefix}-migrate`);
    expect(published).toEqual(Object.fromEntries(functions.map((fn) => [String(fn.values.function_name), String(fn.values.version)])));
    // The mapping is qualified: AWS reports the alias ARN back, moto the version the alias points at —
    // never the unqualified function ($LATEST).
    for (const mapping of byType("aws_lambda_event_source_mapping")) {
      const arn = String(mapping.values.function_arn);
      const alias = aliases.find((a) => arn.startsWith(`${String(a.values.arn).replace(/:live$/, "")}:`));
      expect(alias, arn).toBeDefined();
      expect([String(alias?.values.arn), `${String(alias?.values.arn).replace(/:live$/, "")}:${alias?.values.function_version}`]).toContain(
        arn,
      );
    }
    expect(String(byType("aws_apigatewayv2_integration")[0]?.values.integration_uri)).toMatch(/:live\/invocations$/);
    const target = byType("aws_cloudwatch_event_target")[0];
    expect(target?.values.arn).toBe(`${api.values.arn}:live`);
    expect(target?.values.input ?? "").toBe("");
    expect(byType("aws_apigatewayv2_api")[0]?.values.protocol_type).toBe("HTTP");
  }, 360_000);

  it("destroys everything it created", async (ctx) => {
    if (!tf || !applied || !moto?.ok) return ctx.skip(skipReason || "nothing applied");
    await tf.run(["destroy", "-auto-approve", "-no-color", ...vars], { cwd, timeoutMs: 300_000 });
    applied = false;
    const state = await tf.run(["state", "list"], { cwd });
    expect(
      state.stdout
        .split("\n")
        .filter((l) => l && !l.includes(".data."))
        .join("\n"),
    ).toBe("");
    const sqs = new SQSClient({
      endpoint: moto.endpoint,
      region: manifest.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const names = resourceNames(manifest, { environment: "staging", accountId });
    for (const logical of Object.keys(manifest.queues)) {
      await expect(sqs.send(new GetQueueUrlCommand({ QueueName: names.queue(logical) }))).rejects.toThrow();
    }
  }, 360_000);
});
