/**
 * What Docker can do on this machine, for tests that need it: whether an engine answers, which
 * compose command exists, and whether a pinned image can be had (present locally, or pulled) and
 * is the real thing or a local stand-in (`standin` label, see shared/compose-standins). Each answer
 * carries the reason a test prints when it skips.
 */
import { execFile } from "node:child_process";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never rejects (a missing binary is code 127). */
export function run(
  command: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 60_000, env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : (error as { code?: string }).code === "ENOENT" ? 127 : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error && !stderr ? error.message : "") });
      },
    );
  });
}

/** `null` when an engine answers, else why not. */
export async function dockerEngineProblem(): Promise<string | null> {
  const res = await run("docker", ["version", "--format", "{{.Server.Version}}"], { timeoutMs: 15_000 });
  if (res.code === 127) return "the docker CLI is not installed";
  if (res.code !== 0 || !res.stdout.trim()) return `no Docker engine answers (${(res.stderr || res.stdout).trim().split("\n")[0]})`;
  return null;
}

/** The compose command: the v2 plugin (`docker compose`) or the standalone v1 (`docker-compose`). */
export async function composeCommand(): Promise<{ command: string; args: string[] } | { problem: string }> {
  if ((await run("docker", ["compose", "version"], { timeoutMs: 15_000 })).code === 0) return { command: "docker", args: ["compose"] };
  if ((await run("docker-compose", ["version"], { timeoutMs: 15_000 })).code === 0) return { command: "docker-compose", args: [] };
  return { problem: "neither `docker compose` nor `docker-compose` is installed" };
}

export interface ImageInfo {
  name: string;
  /** The `standin` label's text when the image is a local stand-in, else undefined. */
  standin?: string;
}

/** Present locally, or pulled now; `{ problem }` says which image could not be had and why. */
export async function ensureImage(name: string, pullTimeoutMs = 120_000): Promise<ImageInfo | { problem: string }> {
  const inspect = () => run("docker", ["image", "inspect", "--format", '{{index .Config.Labels "standin"}}', name], { timeoutMs: 15_000 });
  let found = await inspect();
  if (found.code !== 0) {
    const pulled = await run("docker", ["pull", "--quiet", name], { timeoutMs: pullTimeoutMs });
    if (pulled.code !== 0)
      return {
        problem: `image ${name} is not present and cannot be pulled (${(pulled.stderr || pulled.stdout).trim().split("\n").pop()})`,
      };
    found = await inspect();
    if (found.code !== 0) return { problem: `image ${name} was pulled but cannot be inspected` };
  }
  const label = found.stdout.trim();
  return { name, standin: label && label !== "<no value>" ? label : undefined };
}

/**
 * For tests of a third-party image itself (e.g. the contract suite against LocalStack): `null` when
 * the real image can be used, else why the test skips (no engine, image unavailable, or a stand-in).
 */
export async function realImageProblem(name: string): Promise<string | null> {
  const engine = await dockerEngineProblem();
  if (engine) return engine;
  const image = await ensureImage(name);
  if ("problem" in image) return image.problem;
  if (image.standin) return `${name} here is a local stand-in (${image.standin}), not the real image`;
  return null;
}
