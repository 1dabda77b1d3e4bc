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
import { lambdaReservedEnv } from "@bluemoxon/event-source-mapping/invocation-context";
import { workerConfigSchema } from "@bluemoxon/worker";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startMoto } from "../support/moto.ts";

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  scale?: number;
  mem_limit?: string;
  memswap_limit?: string;
  cpus?: number | string;
  read_only?: boolean;
  tmpfs?: string[];
  user?: string;
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
    for (const name of ["api", "event-source-mapping"])
      expect(services[name].depends_on?.provision, name).toEqual({ condition: "service_completed_successfully" });
    expect(services.worker.depends_on?.["event-source-mapping"]).toEqual({ condition: "service_started" });
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
    // The event source mapping of the worker's function serves the Runtime API the workers pull from.
    const [fnName] = Object.entries(manifest.functions).find(([, f]) => f.service === "worker")!;
    const mapping = resolveDefaults(services["event-source-mapping"].environment);
    expect(mapping.ESM_FUNCTION).toBe(fnName);
    expect(loadConfig(eventSourceMappingConfigSchema, mapping).ESM_RUNTIME_API_PORT).toBe(9001);
    expect(worker.AWS_LAMBDA_RUNTIME_API).toBe("event-source-mapping:9001");
    for (const s of ["provision", "api", "worker", "event-source-mapping"])
      expect(resolveDefaults(services[s].environment).AWS_ENDPOINT_URL, s).toBe("http://localstack:4566");
  });

  it("runs the worker image as Lambda runs it: its own entrypoint, one container per slot, Lambda's limits and variables", async () => {
    const [fnName, fn] = Object.entries(manifest.functions).find(([, f]) => f.service === "worker")!;
    const worker = services.worker;
    // No entrypoint or command of compose's: the image's /lambda-entrypoint.sh and handler.handler.
    expect(worker.entrypoint).toBeUndefined();
    expect(worker.command).toBeUndefined();
    expect(readFileSync(resolve(repoRoot, "services/worker/Dockerfile"), "utf8")).toMatch(/\nCMD \["handler\.handler"\]\s*$/);
    expect(worker.scale).toBe(fn.maximumConcurrency);
    expect(worker.mem_limit).toBe(`${fn.memoryMb}m`);
    expect(worker.memswap_limit).toBe(`${fn.memoryMb}m`);
    // Lambda gives a function one vCPU per 1769 MB.
    expect(Number(worker.cpus)).toBeCloseTo(fn.memoryMb / 1769, 2);
    expect(worker.read_only).toBe(true);
    expect(worker.tmpfs).toEqual(["/tmp:size=512m,mode=1777"]);
    expect(worker.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const names = resourceNames(manifest, { environment: "local" });
    const identity = { physicalName: names.function(fnName), region: manifest.region, accountId: names.accountId, memoryMb: fn.memoryMb };
    const reserved = lambdaReservedEnv(identity, { handler: "handler.handler", taskRoot: "/var/task" });
    const env = resolveDefaults(worker.environment);
    // `$$` is compose's escape for a literal `$`.
    for (const key of ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_REGION"])
      expect(env[key], key).toBe(reserved[key]);
    expect(env.AWS_LAMBDA_FUNCTION_VERSION.replace("$$", "$")).toBe(reserved.AWS_LAMBDA_FUNCTION_VERSION);
    // Every variable Lambda sets is there (the runtime client refuses to run without, e.g., the log
    // stream), except those the image itself sets (LAMBDA_TASK_ROOT, and _HANDLER from its CMD).
    const missing = Object.keys(reserved).filter((k) => !(k in env) && k !== "LAMBDA_TASK_ROOT" && k !== "_HANDLER");
    expect(missing).toEqual([]);
    expect(services["event-source-mapping"].build).toMatchObject({
      dockerfile: "services/worker/Dockerfile",
      target: "event-source-mapping",
    });
    expect(services["event-source-mapping"].entrypoint).toBeUndefined();
    if (spawnSync("sh", ["-c", "command -v docker-compose"]).status === 0) {
      const config = spawnSync("docker-compose", ["-f", composeFile, "config"], { cwd: repoRoot, encoding: "utf8" });
      const resolved = (parse(config.stdout) as { services: Record<string, Service> }).services;
      expect(resolved.worker.entrypoint).toBeUndefined();
      expect(resolved.worker.command).toBeUndefined();
    }
  });

  it("compose.debug.yaml: one worker with its inspector on loopback, the mapping's timeout raised, the image unchanged", () => {
    const debug = parse(readFileSync(resolve(repoRoot, "compose.debug.yaml"), "utf8")) as { services: Record<string, Service> };
    const worker = debug.services.worker;
    expect(worker.scale).toBe(1);
    expect(worker.environment?.NODE_OPTIONS).toMatch(/^--inspect=0\.0\.0\.0:9229$/);
    for (const port of worker.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    expect(worker.entrypoint).toBeUndefined();
    expect(worker.command).toBeUndefined();
    const mapping = {
      ...resolveDefaults(services["event-source-mapping"].environment),
      ...debug.services["event-source-mapping"].environment,
    };
    // Longer than any pause at a breakpoint; the function's own is 120 s.
    expect(loadConfig(eventSourceMappingConfigSchema, mapping).ESM_TIMEOUT_SECONDS).toBe(3600);
    if (spawnSync("sh", ["-c", "command -v docker-compose"]).status === 0) {
      const config = spawnSync("docker-compose", ["-f", composeFile, "-f", resolve(repoRoot, "compose.debug.yaml"), "config"], {
        cwd: repoRoot,
        encoding: "utf8",
      });
      expect(config.status, config.stderr).toBe(0);
      const resolved = (parse(config.stdout) as { services: Record<string, Service> }).services;
      expect(resolved.worker.entrypoint).toBeUndefined();
      expect(resolved.worker.read_only).toBe(true);
    }
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
