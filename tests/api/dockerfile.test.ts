/**
 * services/api/Dockerfile without Docker: the base image is pinned, every copied path exists,
 * the commands it runs exist, and the bundle it builds really works as a Lambda (migrate event
 * against a fresh database, using the migrations and manifest copied as the Dockerfile copies them).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, testDatabaseServer } from "../support/test-database.ts";

const dockerfile = readFileSync(join(repoRoot, "services/api/Dockerfile"), "utf8");
const lines = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const args = Object.fromEntries(lines.filter((l) => l.startsWith("ARG ")).map((l) => l.slice(4).split("=") as [string, string]));
/** The Dockerfile's literal `${LAMBDA_TASK_ROOT}/` (built up so it is not mistaken for a template). */
const taskRoot = ["$", "{LAMBDA_TASK_ROOT}/"].join("");
const out = mkdtempSync(join(tmpdir(), "bmx-api-image-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("services/api/Dockerfile", () => {
  it("pins the Lambda Node.js 22 base image by an exact tag", () => {
    const froms = lines.filter((l) => l.startsWith("FROM "));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) {
      const image = from.split(/\s+/)[1].replace(/^\$\{(\w+)\}$/, (_, name) => args[name] ?? name);
      if (["build", "app"].includes(image)) continue;
      expect(image).toMatch(/^public\.ecr\.aws\/lambda\/nodejs:22\.\d{4}\.\d{2}\.\d{2}\.\d+(-x86_64|-arm64)?$/);
    }
  });

  it("copies only paths that exist and runs only commands that exist", () => {
    for (const line of lines.filter((l) => l.startsWith("COPY ") && !l.includes("--from="))) {
      const parts = line.split(/\s+/).slice(1);
      for (const src of parts.slice(0, -1)) expect(existsSync(join(repoRoot, src)), `${src} exists`).toBe(true);
    }
    const runs = lines.filter((l) => l.startsWith("RUN ")).map((l) => l.slice(4));
    expect(runs).toContain("npm ci --no-audit --no-fund");
    const bundle = runs.find((r) => r.startsWith("node "))!;
    expect(existsSync(join(repoRoot, bundle.split(/\s+/)[1]))).toBe(true);
    // Every workspace manifest is copied before npm ci, or the lockfile is refused.
    const workspaces: string[] = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).workspaces;
    for (const ws of workspaces) expect(dockerfile).toContain(`COPY ${ws}/package.json ${ws}/`);
    expect(lines.at(-1)).toBe('CMD ["lambda.handler"]');
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "\/var\/task\/server\.mjs"\]/);
  });

  it("installs the workspace with the worker image's exact instructions, so one npm ci layer serves both", () => {
    const buildStage = (text: string) => {
      const steps = text
        .replace(/\\\n/g, " ")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"));
      const from = steps.findIndex((l) => l.endsWith(" AS build"));
      const install = steps.findIndex((l, i) => i > from && l.startsWith("RUN npm ci"));
      return [steps.find((l) => l.startsWith("ARG LAMBDA_NODE_IMAGE=")), ...steps.slice(from, install + 1)];
    };
    const worker = readFileSync(join(repoRoot, "services/worker/Dockerfile"), "utf8");
    expect(buildStage(dockerfile).length).toBeGreaterThan(4);
    expect(buildStage(dockerfile)).toEqual(buildStage(worker));
  });

  it("builds a bundle whose lambda.handler migrates a database", async (ctx) => {
    const { bundleApi } = (await import(pathToFileURL(join(repoRoot, "services/api/bundle.mjs")).href)) as {
      bundleApi(outdir: string): Promise<unknown>;
    };
    await bundleApi(out);
    expect(existsSync(join(out, "server.mjs"))).toBe(true);
    // Copy next to the bundle what the Dockerfile copies into the task root.
    const taskRootCopies = lines.filter((l) => l.startsWith("COPY ") && !l.includes("--from=") && l.includes(taskRoot));
    expect(taskRootCopies.length).toBeGreaterThanOrEqual(3);
    for (const line of taskRootCopies) {
      const [, src, dest] = line.split(/\s+/);
      cpSync(join(repoRoot, src), join(out, dest.replace(taskRoot, "")), { recursive: true });
    }
    if (!testDatabaseServer().url) return ctx.skip(testDatabaseServer().skipReason ?? "no database");
    const db = await createTestDatabase();
    try {
      Object.assign(process.env, {
        PIPELINE_MANIFEST: resolve(out, "pipeline.json"),
        DATABASE_URL: db.url,
        API_KEY_SECRET_ID: "bluemoxon-local/api-key",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        LOG_LEVEL: "error",
      });
      const { handler } = (await import(pathToFileURL(join(out, "lambda.mjs")).href)) as {
        handler(event: unknown, context: unknown): Promise<{ ok: boolean; applied: string[] }>;
      };
      const result = await handler({ action: "migrate" }, {});
      expect(result).toMatchObject({
        ok: true,
        applied: ["0001_init.sql", "0002_one_active_job_per_image.sql", "0003_final_receive.sql", "0004_lifecycle_versions.sql"],
      });
      // The dashboard page and its assets are served from the bundle too.
      const get = async (path: string) =>
        (await handler(
          {
            version: "2.0",
            routeKey: "$default",
            rawPath: path,
            rawQueryString: "",
            headers: { host: "api.example.com" },
            requestContext: {
              http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
              requestId: "r",
            },
            isBase64Encoded: false,
          },
          {},
        )) as unknown as { statusCode: number; body: string };
      const page = await get("/");
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(/<html/i);
      // The dashboard's script is the one bundle.mjs built (the image has no esbuild), and /docs
      // serves the Swagger UI files bundle.mjs copied.
      const script = await get(/src="(\/dashboard\/dashboard\.[0-9a-f]+\.js)"/.exec(page.body)![1]!);
      expect(script.statusCode).toBe(200);
      expect(existsSync(join(out, "assets", "dashboard.js"))).toBe(true);
      const docs = await get("/docs");
      expect(docs.statusCode).toBe(200);
      const bundle = /src="(\/docs\/[^"]+\/swagger-ui-bundle\.js)"/.exec(docs.body)![1]!;
      expect((await get(bundle)).statusCode).toBe(200);
      const [{ count }] = await db.sql`SELECT count(*)::int AS count FROM books`;
      expect(count).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
