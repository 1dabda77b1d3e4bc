/**
 * compose.yaml: valid for docker-compose (when installed), pinned images, start order by health,
 * the provision service's code really creates every queue, bucket and secret of pipeline.json
 * (run here against moto with the service's own environment), and every service's environment
 * satisfies its config schema and the manifest's requiredEnv (DATABASE_URL being the local
 * equivalent of DATABASE_SECRET_ARN + DATABASE_HOST + DATABASE_NAME).
 */
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { apiConfigSchema } from "@bluemoxon/api";
import { loadConfig, loadManifest, repoRoot, resourceNames } from "@bluemoxon/core";
import { eventSourceMappingConfigSchema } from "@bluemoxon/event-source-mapping";
import { workerConfigSchema } from "@bluemoxon/worker";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startMoto } from "../support/moto.ts";

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}
const composeFile = resolve(repoRoot, "compose.yaml");
const compose = parse(readFileSync(composeFile, "utf8"), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const manifest = loadManifest();

/** `${VAR:-default}` as compose resolves it with VAR unset. */
const resolveDefaults = (env: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1")]));

/** Local equivalents of AWS-only variables. */
const localEquivalents: Record<string, string> = {
  DATABASE_SECRET_ARN: "DATABASE_URL",
  DATABASE_HOST: "DATABASE_URL",
  DATABASE_NAME: "DATABASE_URL",
};

describe("compose.yaml", () => {
  it("is valid for docker-compose config", async (ctx) => {
    if (spawnSync("sh", ["-c", "command -v docker-compose"]).status !== 0) return ctx.skip("docker-compose is not installed");
    const out = await new Promise<{ code: number; stderr: string }>((ok) =>
      execFile("docker-compose", ["-f", composeFile, "config", "--quiet"], { cwd: repoRoot }, (error, _stdout, stderr) =>
        ok({ code: error ? 1 : 0, stderr }),
      ),
    );
    expect(out.stderr).not.toMatch(/invalid|error/i);
    expect(out.code).toBe(0);
  });

  it("pins its images and starts in order of health", () => {
    expect(services.localstack.image).toBe("localstack/localstack:4.14.0");
    expect(services.postgres.image).toMatch(/^postgres:\d+\.\d+/);
    expect(services.provision.depends_on).toEqual({
      localstack: { condition: "service_healthy" },
      postgres: { condition: "service_healthy" },
    });
    for (const name of ["api", "worker"])
      expect(services[name].depends_on?.provision, name).toEqual({ condition: "service_completed_successfully" });
    expect(services.api.depends_on?.["ebay-fixture"]).toEqual({ condition: "service_healthy" });
    for (const name of ["localstack", "postgres", "ebay-fixture", "api"])
      expect(services[name].healthcheck?.test.length, name).toBeGreaterThan(0);
    for (const ports of Object.values(services).flatMap((s) => s.ports ?? [])) expect(ports).toMatch(/^127\.0\.0\.1:/);
    expect(services.api.build?.target).toBe("server");
    expect(services.worker.build?.dockerfile).toBe("services/worker/Dockerfile");
    expect(readFileSync(resolve(repoRoot, services.provision.build!.dockerfile), "utf8")).toMatch(/tsx", "scripts\/provision\.ts"\]/);
  });

  for (const [service, schema] of [
    ["api", apiConfigSchema],
    ["worker", workerConfigSchema],
  ] as const) {
    it(`${service}: its environment passes its config schema and has every requiredEnv of pipeline.json`, () => {
      const env = resolveDefaults(services[service].environment);
      expect(() => loadConfig(schema as never, env)).not.toThrow();
      const required = [
        ...manifest.services[service].requiredEnv,
        ...Object.values(manifest.functions)
          .filter((f) => f.service === service)
          .flatMap((f) => f.requiredEnv),
      ];
      for (const name of new Set(required)) {
        const value = env[name] ?? env[localEquivalents[name] ?? ""];
        expect(value?.trim(), `${service}: ${name}`).toBeTruthy();
      }
    });
  }

  it("points every service at the resources the provision service creates", () => {
    const names = resourceNames(manifest, { environment: resolveDefaults(services.provision.environment).PIPELINE_ENV });
    const api = resolveDefaults(services.api.environment);
    const worker = resolveDefaults(services.worker.environment);
    expect(api.IMAGE_BUCKET).toBe(names.bucket("images"));
    expect(worker.IMAGE_BUCKET).toBe(names.bucket("images"));
    expect(api.API_KEY_SECRET_ID).toBe(names.secret("api-key"));
    expect(api.EBAY_CREDENTIALS_SECRET_ID).toBe(names.secret("ebay-credentials"));
    // The worker image runs its Lambda handler under the event source mapping of the worker's function.
    const [fnName] = Object.entries(manifest.functions).find(([, f]) => f.service === "worker")!;
    expect(services.worker.entrypoint).toEqual(["node", "/var/task/event-source-mapping.mjs"]);
    expect(worker.ESM_FUNCTION).toBe(fnName);
    expect(() => loadConfig(eventSourceMappingConfigSchema, worker)).not.toThrow();
    for (const s of ["provision", "api", "worker"])
      expect(resolveDefaults(services[s].environment).AWS_ENDPOINT_URL, s).toBe("http://localstack:4566");
  });

  it("the provision service creates every queue, DLQ, bucket and secret of pipeline.json", async (ctx) => {
    const moto = await startMoto();
    if (!moto.ok) return ctx.skip(moto.reason);
    try {
      // The provision service's own environment, pointed at moto instead of LocalStack.
      const { DATABASE_URL: _db, ...env } = resolveDefaults(services.provision.environment);
      const run = spawnSync(process.execPath, ["--import", "tsx", resolve(repoRoot, "scripts/provision.ts")], {
        cwd: repoRoot,
        env: { ...process.env, ...env, AWS_ENDPOINT_URL: moto.endpoint },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(run.status, run.stderr + run.stdout).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(env.DEV_API_KEY);

      const cfg = { endpoint: moto.endpoint, region: manifest.region, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
      const names = resourceNames(manifest, { environment: env.PIPELINE_ENV, accountId: "123456789012" });
      const sqs = new SQSClient(cfg);
      for (const [logical, spec] of Object.entries(manifest.queues)) {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: names.queue(logical) }));
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["RedrivePolicy", "VisibilityTimeout"] }),
        );
        expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}").maxReceiveCount).toBe(spec.deadLetter.maxReceiveCount);
        expect(Number(Attributes?.VisibilityTimeout)).toBe(spec.visibilityTimeoutSeconds);
        await expect(sqs.send(new GetQueueUrlCommand({ QueueName: names.dlq(logical) }))).resolves.toHaveProperty("QueueUrl");
      }
      const { Buckets = [] } = await new S3Client({ ...cfg, forcePathStyle: true }).send(new ListBucketsCommand({}));
      expect(Buckets.map((b) => b.Name).sort()).toEqual(
        Object.keys(manifest.buckets)
          .map((b) => names.bucket(b))
          .sort(),
      );
      const secrets = new SecretsManagerClient(cfg);
      for (const logical of Object.keys(manifest.secrets)) {
        const value = await secrets.send(new GetSecretValueCommand({ SecretId: names.secret(logical) })).catch((e: Error) => e);
        expect(value instanceof Error ? `${logical}: ${value.name}` : value.SecretString?.length, logical).toBeGreaterThan(0);
      }
      const key = await secrets.send(new GetSecretValueCommand({ SecretId: names.secret("api-key") }));
      expect(JSON.parse(key.SecretString ?? "{}")).toEqual({ keys: [env.DEV_API_KEY] });
    } finally {
      await moto.stop();
    }
  }, 120_000);
});
