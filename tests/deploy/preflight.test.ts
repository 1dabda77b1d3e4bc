/**
 * scripts/preflight.mjs against moto: a deploy is refused, before any apply, when a secret of
 * pipeline.json is missing, has no AWSCURRENT value or the wrong shape, when the external database
 * secret lacks a field, when a required input is empty, or when the plan would leave a requiredEnv
 * empty. Every message names the secret or variable and says how to put it; no value is printed.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { loadManifest, repoRoot } from "@bluemoxon/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "../support/moto.ts";

const manifest = loadManifest();
const prefix = manifest.environments.prod.prefix;
const awsEnv = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: manifest.region };
// Distinctive values: none of them may ever appear in the output.
const values = {
  apiKey: "KEYVALUE-must-not-leak-1-0123456789abcdef",
  clientId: "CLIENTID-must-not-leak-2",
  clientSecret: "CLIENTSECRET-must-not-leak-3",
  dbPassword: "DBPASSWORD-must-not-leak-4",
};
const good = {
  "api-key": JSON.stringify({ keys: [values.apiKey] }),
  "ebay-credentials": JSON.stringify({ clientId: values.clientId, clientSecret: values.clientSecret }),
};

let moto: MotoServer | undefined;
let skipReason = "";
let secrets: SecretsManagerClient;
let dbArn = "";
let workDir = "";

/** Recreates prod's secrets: each logical name → a value, or null for a secret with no value, or undefined for none. */
async function setSecrets(spec: Record<string, string | null | undefined>) {
  for (const logical of Object.keys(manifest.secrets)) {
    await secrets.send(new DeleteSecretCommand({ SecretId: `${prefix}/${logical}`, ForceDeleteWithoutRecovery: true })).catch(() => {});
  }
  for (const [logical, value] of Object.entries(spec)) {
    if (value === undefined) continue;
    await secrets.send(new CreateSecretCommand({ Name: `${prefix}/${logical}`, ...(value === null ? {} : { SecretString: value }) }));
  }
}

function run(...args: string[]) {
  if (!moto?.ok) throw new Error("moto is not running");
  return new Promise<{ code: number; output: string }>((ok) => {
    execFile(
      process.execPath,
      [resolve(repoRoot, "scripts/preflight.mjs"), "--env", "prod", `--endpoint=${(moto as { endpoint: string }).endpoint}`, ...args],
      { cwd: repoRoot, env: { ...process.env, ...awsEnv, FORCE_COLOR: "0" }, timeout: 60_000 },
      (error, stdout, stderr) => ok({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

const leaks = (output: string) => Object.values(values).filter((v) => output.includes(v));

beforeAll(async () => {
  moto = await startMoto();
  if (!moto.ok) {
    skipReason = moto.reason;
    return console.log(`preflight tests skipped: ${skipReason}`);
  }
  secrets = new SecretsManagerClient({
    endpoint: moto.endpoint,
    region: manifest.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  dbArn = (
    await secrets.send(
      new CreateSecretCommand({ Name: "external/aurora", SecretString: JSON.stringify({ username: "u", password: values.dbPassword }) }),
    )
  ).ARN as string;
  workDir = await mkdtemp(join(tmpdir(), "bluemoxon-preflight-"));
}, 60_000);

afterAll(async () => {
  if (moto?.ok) await moto.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

beforeEach(async () => {
  if (moto?.ok) await setSecrets(good);
});

describe("preflight.mjs", () => {
  it("passes when every secret holds the shape the code reads", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const r = await run(`--database-secret=${dbArn}`);
    expect(r.output).toContain("preflight of prod passed");
    expect(r.code).toBe(0);
    expect(leaks(r.output)).toEqual([]);
  }, 60_000);

  it("refuses a secret that does not exist, naming it and how to create and put it", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    await setSecrets({ "api-key": good["api-key"] });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.output).toContain(`secret ${prefix}/ebay-credentials does not exist — apply terraform/bootstrap`);
    expect(r.output).toContain(`aws secretsmanager put-secret-value --secret-id ${prefix}/ebay-credentials`);
    expect(r.output).toContain('{"clientId":"<clientId>","clientSecret":"<clientSecret>"}');
    expect(r.output).toContain("nothing was applied");
  }, 60_000);

  it("refuses a secret with no AWSCURRENT value (created empty)", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    await setSecrets({ "api-key": good["api-key"], "ebay-credentials": null });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.output).toContain(`secret ${prefix}/ebay-credentials has no AWSCURRENT value — put it`);
  }, 60_000);

  it("refuses an API key list with no usable key and eBay credentials missing a field, printing no value", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    await setSecrets({
      "api-key": JSON.stringify({ keys: ["", "  "] }),
      "ebay-credentials": JSON.stringify({ clientId: values.clientId, clientSecret: "" }),
    });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.output).toContain(`secret ${prefix}/api-key lists no non-empty key in "keys"`);
    expect(r.output).toContain('{"keys":["<current>"]}');
    expect(r.output).toContain(`secret ${prefix}/ebay-credentials has no non-empty "clientSecret"`);
    expect(r.output).not.toContain('"clientId",');
    expect(leaks(r.output)).toEqual([]);
  }, 60_000);

  it("refuses an API key the API itself would refuse at start (shorter than its 32 characters), naming neither the key nor its value", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    await setSecrets({
      "api-key": JSON.stringify({ keys: [values.apiKey, "SHORTKEY-must-not-leak"] }),
      "ebay-credentials": good["ebay-credentials"],
    });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.output).toContain(
      `secret ${prefix}/api-key would stop the API: the API key secret ${prefix}/api-key holds a key shorter than 32 characters (key 2 of 2)`,
    );
    expect(r.output).not.toContain("SHORTKEY");
    expect(leaks(r.output)).toEqual([]);
  }, 60_000);

  it("refuses a value that is not JSON, and a database secret without a password", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    await setSecrets({ "api-key": values.apiKey, "ebay-credentials": good["ebay-credentials"] });
    await secrets.send(new PutSecretValueCommand({ SecretId: dbArn, SecretString: JSON.stringify({ username: "u" }) }));
    try {
      const r = await run(`--database-secret=${dbArn}`);
      expect(r.code).toBe(1);
      expect(r.output).toContain(`secret ${prefix}/api-key is not JSON`);
      expect(r.output).toContain(`secret ${dbArn} has no non-empty "password"`);
      expect(leaks(r.output)).toEqual([]);
    } finally {
      await secrets.send(
        new PutSecretValueCommand({ SecretId: dbArn, SecretString: JSON.stringify({ username: "u", password: values.dbPassword }) }),
      );
    }
  }, 60_000);

  it("refuses an empty required input, saying which variable to set", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const r = await run("--require-input=PREFLIGHT_TEST_UNSET=set the repository variable PROD_DATABASE_HOST");
    expect(r.code).toBe(1);
    expect(r.output).toContain("PREFLIGHT_TEST_UNSET is empty — set the repository variable PROD_DATABASE_HOST");
  }, 60_000);

  it("refuses a plan that leaves a requiredEnv empty; a value computed by the apply is fine", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const fn = (name: string, variables: Record<string, string>, unknown: Record<string, boolean> = {}) => ({
      address: `module.x.aws_lambda_function.${name}`,
      mode: "managed",
      type: "aws_lambda_function",
      change: {
        actions: ["update"],
        after: { function_name: name, environment: [{ variables }] },
        after_unknown: { environment: [{ variables: unknown }] },
      },
    });
    const full = Object.fromEntries(manifest.services.api.requiredEnv.map((k) => [k, "x"]));
    const { IMAGE_BUCKET: _computed, ...withoutBucket } = full;
    const plan = {
      resource_changes: [
        fn(`${prefix}-api`, { ...withoutBucket, DATABASE_HOST: "" }, { IMAGE_BUCKET: true }),
        fn(`${prefix}-image-worker`, {}, {}),
      ],
    };
    const path = join(workDir, "plan.json");
    await writeFile(path, JSON.stringify(plan));
    const r = await run(`--plan=${path}`, "--hint=DATABASE_HOST=set PROD_DATABASE_HOST");
    expect(r.code).toBe(1);
    expect(r.output).toContain(`${prefix}-api: required variable DATABASE_HOST would be empty — set PROD_DATABASE_HOST`);
    expect(r.output).not.toContain(`${prefix}-api: required variable IMAGE_BUCKET`);
    expect(r.output).toContain(`${prefix}-image-worker: required variable DATABASE_NAME is not set by the plan`);
  }, 60_000);
});
