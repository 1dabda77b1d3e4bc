/**
 * A real OCI registry for the deploy tests: the distribution registry (Debian `docker-registry`)
 * on 127.0.0.1 and a free port, plain HTTP, storage in a temp folder; and `pushTestImage`, which
 * builds a one-layer OCI image on disk and pushes it with skopeo, so images have real layers and
 * their digests are the registry's. Missing tools → `{ ok: false, reason }` (the test skips, saying so).
 *
 * @example
 * const registry = await startRegistry();
 * if (!registry.ok) return ctx.skip(registry.reason);
 * const digest = await pushTestImage(`${registry.host}/app-api`, "v1", "hello");
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../support/free-port.ts";

const run = promisify(execFile);

export type Registry = { ok: true; host: string; stop(): Promise<void> } | { ok: false; reason: string };

const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;

/** Why the registry tests cannot run here, or undefined. */
export function registryUnavailableReason(): string | undefined {
  if (!has("docker-registry") && !has("registry")) return "no distribution registry binary (apt-get install -y docker-registry)";
  if (!has("skopeo")) return "skopeo is not installed (apt-get install -y skopeo)";
  if (!has("tar")) return "tar is not installed";
  return undefined;
}

export async function startRegistry({ timeoutMs = 30_000 } = {}): Promise<Registry> {
  const reason = registryUnavailableReason();
  if (reason) return { ok: false, reason };
  const dir = await mkdtemp(join(tmpdir(), "bluemoxon-registry-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const bin = has("docker-registry") ? "docker-registry" : "registry";
  const child: ChildProcess = spawn(bin, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-2_000);
  });
  const host = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${bin} exited with code ${child.exitCode}: ${stderr.trim()}`);
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) return { ok: true, host, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${bin} did not answer on ${host} within ${timeoutMs} ms: ${stderr.trim()}`);
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** Builds a one-layer image whose layer holds `content`, pushes it as `<repository>:<tag>`; resolves to its digest. */
export async function pushTestImage(repository: string, tag: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bluemoxon-image-"));
  try {
    const blobs = join(dir, "layout/blobs/sha256");
    await mkdir(blobs, { recursive: true });
    await mkdir(join(dir, "root"));
    await writeFile(join(dir, "root/version.txt"), content);
    await run("tar", ["-C", join(dir, "root"), "-cf", join(dir, "layer.tar"), "version.txt"]);
    const tar = await readFile(join(dir, "layer.tar"));
    await run("gzip", ["-n", join(dir, "layer.tar")]);
    const layer = await readFile(join(dir, "layer.tar.gz"));
    const config = Buffer.from(
      JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [`sha256:${sha256(tar)}`] } }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${sha256(config)}`, size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${sha256(layer)}`, size: layer.length }],
      }),
    );
    for (const blob of [layer, config, manifest]) await writeFile(join(blobs, sha256(blob)), blob);
    await writeFile(join(dir, "layout/oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    await writeFile(
      join(dir, "layout/index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: `sha256:${sha256(manifest)}`,
            size: manifest.length,
            annotations: { "org.opencontainers.image.ref.name": tag },
          },
        ],
      }),
    );
    await run("skopeo", [
      "copy",
      "--preserve-digests",
      "--dest-tls-verify=false",
      `oci:${join(dir, "layout")}:${tag}`,
      `docker://${repository}:${tag}`,
    ]);
    return `sha256:${sha256(manifest)}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether the registry serves `digest` in `repository` (`<host>/<name>`), and every blob it lists. */
export async function servesImage(repository: string, digest: string): Promise<{ manifest: boolean; blobs: boolean }> {
  const [host, ...rest] = repository.split("/");
  const name = rest.join("/");
  const res = await fetch(`http://${host}/v2/${name}/manifests/${digest}`, {
    headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
  });
  if (res.status !== 200) return { manifest: false, blobs: false };
  const body = Buffer.from(await res.arrayBuffer());
  if (`sha256:${sha256(body)}` !== digest) return { manifest: false, blobs: false };
  const m = JSON.parse(body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const heads = await Promise.all(
    [m.config, ...m.layers].map((b) =>
      fetch(`http://${host}/v2/${name}/blobs/${b.digest}`, { method: "HEAD" }).then((r) => r.status === 200),
    ),
  );
  return { manifest: true, blobs: heads.every(Boolean) };
}
