/**
 * scripts/promote.mjs end to end: two moto servers play staging and prod (Lambda validates image
 * digests against moto's ECR, MOTO_LAMBDA_STUB_ECR=false), two tiny local HTTP servers play their
 * APIs. Cases: dry run, a good promotion, a stop on an empty required variable in prod, a failed
 * prod smoke test — the last two must roll prod back to its previous digests.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadManifest, repoRoot } from "@bluemoxon/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "../support/moto.ts";

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

/** A stand-in for a deployed API: checks the X-API-Key like the real one; /health/deep can be made to fail. */
function fakeApi(key: string) {
  const state = { failDeep: false };
  const server: Server = createServer((req, res) => {
    const authed = req.headers["x-api-key"] === key;
    const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/health") return send(200, { status: "ok" });
    if (!authed) return send(401, { title: "Unauthorized" });
    if (req.url === "/health/deep")
      return state.failDeep ? send(503, { status: "fail", checks: { database: "down" } }) : send(200, { status: "ok" });
    if (req.url?.startsWith("/api/v1/books")) return send(200, { items: [] });
    return send(404, {});
  });
  return { server, state };
}
const listen = (server: Server) =>
  new Promise<string>((ok) => server.listen(0, "127.0.0.1", () => ok(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));

function envSpec(env: "staging" | "prod", mode: "seed" | "reset", deploy: string, overrides: Record<string, string> = {}) {
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
    apiKey: `key-${env}`,
    mode,
    images: Object.fromEntries(Object.keys(manifest.images).map((i) => [i, env === "staging" ? ["v2"] : ["v1"]])),
    deploy: Object.fromEntries(Object.keys(manifest.images).map((i) => [i, deploy])),
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

function lambdaImage(endpoint: string, name: string): string {
  const out = spawnSync("aws", ["--endpoint-url", endpoint, "lambda", "get-function", "--function-name", name, "--output", "json"], {
    encoding: "utf8",
    env: { ...process.env, ...awsEnv },
  });
  if (out.status !== 0) throw new Error(out.stderr);
  return (JSON.parse(out.stdout) as { Code: { ImageUri: string } }).Code.ImageUri;
}

const missing = ["aws", "python3"].find((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);

describe("promote.mjs staging → prod", () => {
  let staging: MotoServer | undefined;
  let prod: MotoServer | undefined;
  let skipReason = missing ? `${missing} is not installed` : "";
  let stagingSeed: Seeded;
  let prodSeed: Seeded;
  const stagingApi = fakeApi("key-staging");
  const prodApi = fakeApi("key-prod");
  let urls = { staging: "", prod: "" };
  let workDir = "";

  beforeAll(async () => {
    if (skipReason) return console.log(`promote tests skipped: ${skipReason}`);
    // Lambda must find each digest in moto's ECR, so a copy that did not happen fails the deploy.
    process.env.MOTO_LAMBDA_STUB_ECR = "false";
    [staging, prod] = await Promise.all([startMoto(), startMoto()]);
    if (!staging.ok || !prod.ok) {
      skipReason = !staging.ok ? staging.reason : !prod.ok ? prod.reason : "";
      return console.log(`promote tests skipped: ${skipReason}`);
    }
    stagingSeed = seed(staging.endpoint, envSpec("staging", "seed", "v2"));
    prodSeed = seed(prod.endpoint, envSpec("prod", "seed", "v1"));
    urls = { staging: await listen(stagingApi.server), prod: await listen(prodApi.server) };
    workDir = await mkdtemp(join(tmpdir(), "bluemoxon-promote-"));
  }, 120_000);

  afterAll(async () => {
    stagingApi.server.close();
    prodApi.server.close();
    await Promise.all([staging?.ok && staging.stop(), prod?.ok && prod.stop()]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    prodApi.state.failDeep = false;
    if (prod?.ok) seed(prod.endpoint, envSpec("prod", "reset", "v1"));
    if (workDir) await writeFile(join(workDir, "apply.log"), "");
  }, 60_000);

  async function promote(...extra: string[]) {
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
      ...extra,
    ];
    return new Promise<{ code: number; output: string; applyLog: string }>((ok) => {
      execFile(
        process.execPath,
        args,
        {
          cwd: repoRoot,
          env: { ...process.env, ...awsEnv, FAKE_APPLY_LOG: join(workDir, "apply.log"), FORCE_COLOR: "0" },
          timeout: 180_000,
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

  const prodImages = () => ({
    api: lambdaImage((prod as { endpoint: string }).endpoint, "bluemoxon-prod-api"),
    worker: lambdaImage((prod as { endpoint: string }).endpoint, "bluemoxon-prod-image-worker"),
  });
  const expected = (version: "v1" | "v2") => ({
    api: `${prodSeed.repositoryUris.api}@${(version === "v2" ? stagingSeed : prodSeed).digests.api[version]}`,
    worker: `${prodSeed.repositoryUris.worker}@${(version === "v2" ? stagingSeed : prodSeed).digests.worker[version]}`,
  });

  it("--dry-run prints the plan and changes nothing", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const run = await promote("--dry-run");
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("dry run, nothing changed");
    expect(run.output).toContain(stagingSeed.digests.api.v2);
    expect(run.applyLog).toBe("");
    expect(prodImages()).toEqual(expected("v1"));
  }, 120_000);

  it("promotes staging's digests to prod: copied by digest, applied, verified, smoke-tested", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const run = await promote();
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("promoted");
    expect(run.output).toMatch(/smoke test prod/);
    expect(
      run.applyLog
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["deploy"]);
    expect(prodImages()).toEqual(expected("v2"));
  }, 180_000);

  it("stops when a required variable is empty in prod, and rolls back to the previous digests", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    seed((prod as { endpoint: string }).endpoint, envSpec("prod", "reset", "v1", { DATABASE_HOST: "" }));
    const run = await promote();
    expect(run.code).toBe(1);
    expect(run.output).toContain("bluemoxon-prod-api: required variable DATABASE_HOST is empty");
    expect(run.output).toContain("prod rolled back to the previous digests");
    expect(
      run.applyLog
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["deploy", "rollback"]);
    expect(prodImages()).toEqual(expected("v1"));
  }, 180_000);

  it("rolls prod back to the previous digests when its smoke test fails", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    prodApi.state.failDeep = true;
    const run = await promote();
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/health\/deep.*status 503/);
    expect(run.output).toContain("prod rolled back to the previous digests");
    expect(
      run.applyLog
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["deploy", "rollback"]);
    expect(prodImages()).toEqual(expected("v1"));
  }, 180_000);
});
