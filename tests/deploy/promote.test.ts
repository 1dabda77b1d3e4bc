/**
 * scripts/promote.mjs (scripts/deploy/promote.ts) on cases the first-deploy rehearsal
 * (first-deploy-rehearsal.test.ts: the happy path, refusals before anything, a held lock, alias
 * rollback, a first-ever promotion) does not cover: two moto servers play staging and prod, a real
 * OCI registry holds the images (tests/deploy/oci-registry.ts), two tiny local HTTP servers play the
 * APIs, and tests/deploy/fake-apply.mjs stands in for the apply (publishes versions, as Terraform
 * does). Cases: an unknown flag (usage, exit 2), dry runs (without and with terraform), a staging
 * that no longer runs its last green release, a required variable empty after the apply (verify
 * fails, the `live` aliases move back without re-applying), and a rollback whose smoke test fails too.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GetAliasCommand, GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { loadManifest, repoRoot } from "@bluemoxon/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "../support/moto.ts";
import { motoOverride, prepareTerraform } from "../terraform/terraform-cli.ts";
import { fakeApi, listen } from "./fake-api.ts";
import { pushTestImage, type Registry, servesImage, startRegistry } from "./oci-registry.ts";

const manifest = loadManifest();
const here = resolve(repoRoot, "tests/deploy");
const awsEnv = {
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_DEFAULT_REGION: manifest.region,
  AWS_REGION: manifest.region,
};

interface Seeded {
  digests: Record<string, Record<string, string>>;
  repositoryUris: Record<string, string>;
  secretArns: Record<string, string>;
}

function envSpec(
  env: "staging" | "prod",
  mode: "seed" | "reset",
  deployUris: Record<string, string>,
  overrides: Record<string, string> = {},
  release?: { sha: string; images: Record<string, string> },
) {
  const prefix = manifest.environments[env].prefix;
  const value = (name: string) =>
    overrides[name] ??
    {
      PIPELINE_ENV: env,
      IMAGE_BUCKET: `${prefix}-images`,
      API_KEY_SECRET_ID: "secret:api-key",
      EBAY_CREDENTIALS_SECRET_ID: "secret:ebay-credentials",
      DATABASE_SECRET_ARN: "secret:database",
      DATABASE_HOST: "aurora.internal",
      DATABASE_NAME: "bluemoxon",
    }[name] ??
    "set";
  const functions: Record<string, { image: string; env: Record<string, string> }> = {
    [`${prefix}-api`]: { image: "api", env: Object.fromEntries(manifest.services.api.requiredEnv.map((n) => [n, value(n)])) },
  };
  for (const [logical, fn] of Object.entries(manifest.functions)) {
    const names = [...fn.requiredEnv, ...manifest.services[fn.service].requiredEnv];
    functions[`${prefix}-${logical}`] = { image: fn.image, env: Object.fromEntries(names.map((n) => [n, value(n)])) };
  }
  return {
    prefix,
    region: manifest.region,
    apiKey: `key-${env}-0123456789abcdef0123456789`,
    mode,
    images: Object.fromEntries(Object.keys(manifest.images).map((i) => [i, env === "staging" ? ["v2"] : ["v1"]])),
    deploy: Object.fromEntries(Object.keys(manifest.images).map((i) => [i, "v1"])),
    deployUris,
    ...(release ? { release } : {}),
    secrets: [...Object.keys(manifest.secrets), "database"],
    functions,
  };
}

function seed(endpoint: string, spec: object): Seeded {
  const out = spawnSync("python3", [join(here, "moto-lambda-env.py"), endpoint], {
    input: JSON.stringify(spec),
    encoding: "utf8",
    timeout: 60_000,
  });
  if (out.status !== 0) throw new Error(`seeding moto failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as Seeded;
}

/** SDK clients on one moto server (in-process: an `aws` subprocess per read made this file slow). */
function motoClients(endpoint: string) {
  const config = { endpoint, region: manifest.region, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  return { lambda: new LambdaClient(config), secrets: new SecretsManagerClient(config), ssm: new SSMClient(config) };
}
type MotoClients = ReturnType<typeof motoClients>;

/** The image a function's `live` alias runs (what takes traffic), or another qualifier's. */
async function lambdaImage(clients: MotoClients, name: string, qualifier = "live"): Promise<string> {
  const got = await clients.lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier }));
  return got.Code?.ImageUri ?? "";
}

const missing = ["python3"].find((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);

describe("promote.mjs staging → prod", () => {
  let staging: MotoServer | undefined;
  let prod: MotoServer | undefined;
  let registry: Registry | undefined;
  let skipReason = missing ? `${missing} is not installed` : "";
  let workDir = "";
  const applyLog = () => join(workDir, "apply.log");
  const stagingApi = fakeApi("key-staging-0123456789abcdef0123456789", async () => false);
  let stagingAws: MotoClients;
  let prodAws: MotoClients;
  const prodApi = fakeApi("key-prod-0123456789abcdef0123456789", async () =>
    (await lambdaImage(prodAws, "bluemoxon-prod-api")).endsWith(digests.staging.api),
  );
  let urls = { staging: "", prod: "" };
  let host = "";
  const releaseSha = "0123456789abcdef0123456789abcdef01234567";
  /** Digests in the registry: staging runs v2 of each image, prod v1. */
  const digests = { staging: {} as Record<string, string>, prod: {} as Record<string, string> };
  const uris = (env: "staging" | "prod") =>
    Object.fromEntries(
      Object.keys(manifest.images).map((i) => [i, `${host}/${manifest.environments[env].prefix}-${i}@${digests[env][i]}`]),
    );

  beforeAll(async () => {
    if (skipReason) return console.log(`promote tests skipped: ${skipReason}`);
    registry = await startRegistry();
    if (!registry.ok) {
      skipReason = registry.reason;
      return console.log(`promote tests skipped: ${skipReason}`);
    }
    host = registry.host;
    [staging, prod] = await Promise.all([startMoto(), startMoto()]);
    if (!staging.ok || !prod.ok) {
      skipReason = !staging.ok ? staging.reason : !prod.ok ? prod.reason : "";
      return console.log(`promote tests skipped: ${skipReason}`);
    }
    for (const image of Object.keys(manifest.images)) {
      digests.staging[image] = await pushTestImage(`${host}/bluemoxon-staging-${image}`, "v2", `${image} v2`);
      digests.prod[image] = await pushTestImage(`${host}/bluemoxon-prod-${image}`, "v1", `${image} v1`);
    }
    seed(staging.endpoint, envSpec("staging", "seed", uris("staging"), {}, { sha: releaseSha, images: uris("staging") }));
    seed(prod.endpoint, envSpec("prod", "seed", uris("prod")));
    stagingAws = motoClients(staging.endpoint);
    prodAws = motoClients(prod.endpoint);
    urls = { staging: await listen(stagingApi.server), prod: await listen(prodApi.server) };
    workDir = await mkdtemp(join(tmpdir(), "bluemoxon-promote-"));
    await writeFile(applyLog(), "");
  }, 600_000);

  afterAll(async () => {
    stagingApi.server.close();
    prodApi.server.close();
    for (const c of [stagingAws, prodAws]) if (c) for (const client of Object.values(c)) client.destroy();
    await Promise.all([staging?.ok && staging.stop(), prod?.ok && prod.stop(), registry?.ok && registry.stop()]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    prodApi.state.failDeep = false;
    if (prod?.ok && host) seed(prod.endpoint, envSpec("prod", "reset", uris("prod")));
    if (workDir) await writeFile(applyLog(), "");
  }, 60_000);

  async function promote(...extra: string[]) {
    return promoteWith({}, ...extra);
  }
  async function promoteWith(env: Record<string, string>, ...extra: string[]) {
    if (!staging?.ok || !prod?.ok) throw new Error("moto is not running");
    const args = [
      resolve(repoRoot, "scripts/promote.mjs"),
      "staging",
      "prod",
      `--from-endpoint=${staging.endpoint}`,
      `--to-endpoint=${prod.endpoint}`,
      `--from-api=${urls.staging}`,
      `--to-api=${urls.prod}`,
      `--apply-cmd=node ${join(here, "fake-apply.mjs")}`,
      `--to-registry=${host}`,
      "--registry-insecure",
      "--skip-migrate",
      "--skip-worker-smoke",
      ...extra,
    ];
    return new Promise<{ code: number; output: string; applyLog: string }>((ok) => {
      execFile(
        process.execPath,
        args,
        {
          cwd: repoRoot,
          env: { ...process.env, ...awsEnv, FAKE_APPLY_LOG: applyLog(), FORCE_COLOR: "0", ...env },
          timeout: 540_000,
        },
        async (error, stdout, stderr) =>
          ok({
            code: error ? ((error as { code?: number }).code ?? 1) : 0,
            output: stdout + stderr,
            applyLog: await readFile(join(workDir, "apply.log"), "utf8"),
          }),
      );
    });
  }

  const prodImages = async () => ({
    api: await lambdaImage(prodAws, "bluemoxon-prod-api"),
    worker: await lambdaImage(prodAws, "bluemoxon-prod-image-worker"),
  });
  /** What prod's functions must run: its own v1, or staging's v2 digests in prod's repositories. */
  const expected = (version: "v1" | "v2") =>
    Object.fromEntries(
      Object.keys(manifest.images).map((i) => [i, `${host}/bluemoxon-prod-${i}@${(version === "v2" ? digests.staging : digests.prod)[i]}`]),
    );
  /** The version each prod function's `live` alias points at. */
  const liveVersions = async () => {
    const out: Record<string, string | undefined> = {};
    for (const fn of ["bluemoxon-prod-api", "bluemoxon-prod-image-worker"])
      out[fn] = (await prodAws.lambda.send(new GetAliasCommand({ FunctionName: fn, Name: "live" }))).FunctionVersion;
    return out;
  };
  const phases = (log: string) =>
    log
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ")[0]);

  it("refuses an unknown flag (--dryrun) with the usage and exit code 2, before doing anything", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const run = await promote("--dryrun");
    expect(run.code, run.output).toBe(2);
    expect(run.output).toContain("Unknown option '--dryrun'");
    expect(run.output).toContain("usage: promote.mjs <from-env> <to-env>");
    expect(run.output).toContain("--dry-run ");
    expect(run.output).not.toContain("[1/");
    expect(run.applyLog).toBe("");
    expect(await prodImages()).toEqual(expected("v1"));
  }, 120_000);

  it("--dry-run prints the plan and changes nothing", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const run = await promote("--dry-run");
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("dry run, nothing changed");
    expect(run.output).toContain(digests.staging.api);
    expect(run.applyLog).toBe("");
    expect((await servesImage(`${host}/bluemoxon-prod-api`, digests.staging.api)).manifest).toBe(false);
    expect(await prodImages()).toEqual(expected("v1"));
  }, 120_000);

  it("--dry-run with terraform: plans prod with the promoted digests in prod's repositories, prints the plan, changes nothing", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const tf = await prepareTerraform();
    if (!tf.ok) return ctx.skip(tf.reason);
    try {
      const dir = tf.envDir("prod");
      await writeFile(join(dir, "moto_override.tf"), motoOverride((prod as { endpoint: string }).endpoint));
      const prodEndpoint = (prod as { endpoint: string }).endpoint;
      const dbArn = (await prodAws.secrets.send(new DescribeSecretCommand({ SecretId: "bluemoxon-prod/database" }))).ARN;
      const args = ["--dry-run", `--to-terraform-dir=${dir}`, "--to-backend-config=none"];
      const run = await new Promise<{ code: number; output: string }>((ok) => {
        execFile(
          process.execPath,
          [
            resolve(repoRoot, "scripts/promote.mjs"),
            "staging",
            "prod",
            `--from-endpoint=${(staging as { endpoint: string }).endpoint}`,
            `--to-endpoint=${prodEndpoint}`,
            `--to-registry=${host}`,
            "--registry-insecure",
            ...args,
          ],
          {
            cwd: repoRoot,
            env: {
              ...process.env,
              ...awsEnv,
              FORCE_COLOR: "0",
              TF_CLI_CONFIG_FILE: join(tf.root, "cli.tfrc"),
              TF_VAR_database_secret_arn: dbArn,
              TF_VAR_database_host: "aurora.internal",
            },
            timeout: 600_000,
          },
          (error, stdout, stderr) => ok({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        );
      });
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain("Terraform will perform the following actions");
      expect(run.output).toContain(`${host}/bluemoxon-prod-api@${digests.staging.api}`);
      expect(run.output).toContain("dry run, nothing changed");
      expect(await prodImages()).toEqual(expected("v1"));
    } finally {
      await tf.cleanup();
    }
  }, 900_000);

  it("refuses when staging no longer runs its last green release (a later deploy did not pass)", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const put = (images: Record<string, string>) =>
      stagingAws.ssm.send(
        new PutParameterCommand({
          Name: "/bluemoxon-staging/release",
          Type: "String",
          Overwrite: true,
          Value: JSON.stringify({ sha: releaseSha, images }),
        }),
      );
    await put(uris("prod"));
    try {
      const run = await promote();
      expect(run.code).toBe(1);
      expect(run.output).toContain(
        `bluemoxon-staging-api runs ${digests.staging.api}, but staging's last green release has ${digests.prod.api}`,
      );
      expect(run.applyLog).toBe("");
      expect(await prodImages()).toEqual(expected("v1"));
    } finally {
      await put(uris("staging"));
    }
  }, 600_000);

  it("--release: refuses when staging's recorded release is another commit than the one promote.yml checked out", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const other = "fedcba9876543210fedcba9876543210fedcba98";
    const run = await promote(`--release=${other}`);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`staging's recorded release is ${releaseSha}, not ${other}`);
    expect(run.applyLog).toBe("");
    expect(await prodImages()).toEqual(expected("v1"));
  }, 120_000);

  it("stops when a required variable is empty in prod, and moves the live aliases back (no re-apply)", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    seed((prod as { endpoint: string }).endpoint, envSpec("prod", "reset", uris("prod"), { DATABASE_HOST: "" }));
    const before = await liveVersions();
    const run = await promote();
    expect(run.code).toBe(1);
    expect(run.output).toContain("bluemoxon-prod-api: required variable DATABASE_HOST is empty");
    expect(run.output).toContain("prod rolled back to the previous versions (smoke test passed)");
    // One apply (the deploy); the rollback moved the aliases, it applied nothing.
    expect(phases(run.applyLog)).toEqual(["deploy"]);
    expect(await liveVersions()).toEqual(before);
    expect(await prodImages()).toEqual(expected("v1"));
    // The promoted version still exists, unused: $LATEST has it, `live` does not.
    expect(await lambdaImage(prodAws, "bluemoxon-prod-api", "$LATEST")).toBe(expected("v2").api);
  }, 600_000);

  it("says so loudly when prod still fails its smoke test after the rollback", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    prodApi.state.failDeep = "always";
    const before = await liveVersions();
    const run = await promote();
    expect(run.code).toBe(1);
    expect(run.output).toContain("rolled back to the previous versions, and its SMOKE TEST FAILS there too");
    expect(run.output).toMatch(/✘ smoke test prod after the rollback/);
    expect(phases(run.applyLog)).toEqual(["deploy"]);
    expect(await liveVersions()).toEqual(before);
    expect(await prodImages()).toEqual(expected("v1"));
  }, 600_000);
});
