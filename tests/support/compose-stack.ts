/**
 * `docker compose up` of the project's own compose.yaml, for a test or a benchmark: free host
 * ports, a fresh API key, images built from the Dockerfiles, and ready when the API answers
 * `/health`, the event source mapping polls and a worker container has called its Runtime API.
 * `stop()` is `down -v`.
 *
 * @example
 * const problem = await composeSkipReason();
 * if (!problem) {
 *   const stack = await startComposeStack();
 *   await fetch(`${stack.api}/health`);
 *   await stack.stop();
 * }
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { parse } from "yaml";
import { composeCommand, dockerEngineProblem, ensureImage, type Run, run } from "./docker.ts";
import { freePort } from "./free-port.ts";
import { until } from "./until.ts";

export const composeFile = resolve(repoRoot, "compose.yaml");
/** Lets image builds use the host's network (engines without outbound network of their own); changes nothing else. */
export const buildNetworkOverride = resolve(repoRoot, "tests/compose/build-host-network.yaml");

/** Every image compose runs or builds from: `image:` entries and the Dockerfiles' pinned `ARG *_IMAGE=` bases. */
export function pinnedImages(): string[] {
  const compose = parse(readFileSync(composeFile, "utf8")) as {
    services: Record<string, { image?: string; build?: { dockerfile: string } }>;
  };
  const images = new Set<string>();
  for (const service of Object.values(compose.services)) {
    if (service.image) images.add(service.image);
    if (service.build) {
      const dockerfile = readFileSync(resolve(repoRoot, service.build.dockerfile), "utf8");
      for (const m of dockerfile.matchAll(/^ARG \w+_IMAGE=(\S+)$/gm)) images.add(m[1]);
    }
  }
  return [...images];
}

/** `null` when compose can run here, else what is missing (engine, compose command, or which image). */
export async function composeSkipReason(): Promise<string | null> {
  const engine = await dockerEngineProblem();
  if (engine) return engine;
  const compose = await composeCommand();
  if ("problem" in compose) return compose.problem;
  for (const image of pinnedImages()) {
    const found = await ensureImage(image);
    if ("problem" in found) return found.problem;
  }
  return null;
}

export interface ComposeStack {
  api: string;
  apiKey: string;
  /** LocalStack as this machine reaches it. */
  localstack: string;
  /** Steps and their durations (ms): build, up. */
  timings: [string, number][];
  /** Runs a compose subcommand on this project (never rejects). */
  dc(args: string[], timeoutMs?: number): Promise<Run>;
  /** Same, but throws with the output when it fails; resolves to stdout. */
  dcOk(args: string[], timeoutMs?: number): Promise<string>;
  /** One service's logs, or several services' (`["event-source-mapping", "worker"]`). */
  logs(service: string | string[], tail?: number): Promise<string>;
  /** `down -v --remove-orphans`. */
  stop(): Promise<void>;
}

export async function startComposeStack(options: { project?: string; build?: boolean } = {}): Promise<ComposeStack> {
  // One project per checkout: two worktrees on one engine must not take down each other's stack.
  const project =
    options.project ??
    `bluemoxon-compose-test-${basename(repoRoot)
      .replace(/[^a-z0-9-]/gi, "")
      .toLowerCase()}`;
  const compose = await composeCommand();
  if ("problem" in compose) throw new Error(compose.problem);
  const [apiPort, localstackPort] = [await freePort(), await freePort()];
  const apiKey = `bmx_compose_${randomBytes(24).toString("base64url")}`;
  const buildx = await run("docker", ["buildx", "version"], { timeoutMs: 15_000 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    API_PORT: String(apiPort),
    LOCALSTACK_PORT: String(localstackPort),
    DEV_API_KEY: apiKey,
    // Without buildx (Debian's docker.io), the classic builder; with it, BuildKit as usual.
    ...(buildx.code === 0 ? {} : { DOCKER_BUILDKIT: "0", COMPOSE_DOCKER_CLI_BUILD: "0" }),
  };
  const dc = (args: string[], timeoutMs = 600_000) =>
    run(compose.command, [...compose.args, "-p", project, "-f", composeFile, "-f", buildNetworkOverride, ...args], {
      env,
      cwd: repoRoot,
      timeoutMs,
    });
  const dcOk = async (args: string[], timeoutMs?: number) => {
    const res = await dc(args, timeoutMs);
    if (res.code !== 0)
      throw new Error(`${compose.command} ${args.join(" ")} failed (${res.code}):\n${res.stderr.slice(-4000)}\n${res.stdout.slice(-2000)}`);
    return res.stdout;
  };
  const logs = async (service: string | string[], tail?: number) =>
    (await dc(["logs", "--no-color", ...(tail ? ["--tail", String(tail)] : []), ...[service].flat()], 60_000)).stdout;
  const timings: [string, number][] = [];
  const timed = async (label: string, work: () => Promise<unknown>) => {
    const started = Date.now();
    await work();
    timings.push([label, Date.now() - started]);
  };
  const api = `http://127.0.0.1:${apiPort}`;
  // Leftovers of an interrupted run would hold the data.
  await dc(["down", "-v", "--remove-orphans"], 120_000);
  try {
    if (options.build !== false) await timed("build (compose build)", () => dcOk(["build"], 45 * 60_000));
    await timed("up → API healthy, event source mapping polling, a worker pulling", async () => {
      await dcOk(["up", "-d"], 10 * 60_000);
      // Each probe has its own timeout: docker's port proxy can accept a connection before the API
      // listens and then never answer it. Not AbortSignal.timeout: its timer is unref'd, and a
      // script (bench:compose) whose only pending work is that hung fetch then exits with code 13.
      await until(
        "API /health",
        async () => {
          const abort = new AbortController();
          const timer = setTimeout(() => abort.abort(new Error("no answer within 5 s")), 5_000);
          try {
            return (await fetch(`${api}/health`, { signal: abort.signal })).ok ? true : undefined;
          } finally {
            clearTimeout(timer);
          }
        },
        5 * 60_000,
        { retryErrors: true, everyMs: 1_000 },
      );
      await until(
        "event source mapping started, a worker container pulling from its Runtime API",
        async () => {
          const text = await logs("event-source-mapping");
          return text.includes('"trigger started"') && text.includes('"execution environment ready"') ? true : undefined;
        },
        5 * 60_000,
        { retryErrors: true, everyMs: 2_000 },
      );
    });
  } catch (error) {
    const all = await dc(["logs", "--no-color", "--tail", "100"], 60_000);
    await dc(["down", "-v", "--remove-orphans"], 5 * 60_000);
    throw new Error(`${(error as Error).message}\n--- compose logs ---\n${all.stdout.slice(-20_000)}`);
  }
  return {
    api,
    apiKey,
    localstack: `http://127.0.0.1:${localstackPort}`,
    timings,
    dc,
    dcOk,
    logs,
    stop: async () => {
      await dc(["down", "-v", "--remove-orphans"], 5 * 60_000);
    },
  };
}
