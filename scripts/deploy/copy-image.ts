/**
 * Copies one image from one registry repository to another **by digest**, layers included, with
 * skopeo (`--preserve-digests`: the manifest bytes, so the digest, do not change), and proves the
 * target then serves that exact digest. Works between any two OCI/Docker registries (ECR in
 * another account, a local distribution registry in tests); `ecr put-image` does not, because on
 * ECR layers belong to a repository.
 *
 * Credentials: skopeo reads the Docker auth file (`aws ecr get-login-password | docker login`,
 * or aws-actions/amazon-ecr-login in CI).
 *
 * @example
 * await copyImageByDigest({ source: "123.dkr.ecr.us-east-1.amazonaws.com/app-staging-api@sha256:…",
 *   targetRepository: "456.dkr.ecr.us-east-1.amazonaws.com/app-prod-api" });
 */
import { createHash } from "node:crypto";
import { $, which } from "zx";

export class ImageCopyError extends Error {
  override name = "ImageCopyError";
}

const digestRef = /^([^@\s]+)@(sha256:[a-f0-9]{64})$/;

/** The digest `ref` resolves to in its registry (sha256 of the manifest bytes as served), or undefined if absent. */
export async function registryDigest(ref: string, { tlsVerify = true } = {}): Promise<string | undefined> {
  const out = await $({ nothrow: true, quiet: true })`skopeo inspect --raw --tls-verify=${String(tlsVerify)} ${`docker://${ref}`}`;
  if (out.exitCode !== 0) {
    if (/manifest unknown|not found|MANIFEST_UNKNOWN|NAME_UNKNOWN/i.test(out.stderr)) return undefined;
    throw new ImageCopyError(`skopeo inspect ${ref} failed: ${out.stderr.trim().split("\n").pop()}`);
  }
  return `sha256:${createHash("sha256").update(out.stdout).digest("hex")}`;
}

/**
 * Copies `source` (`<repo>@sha256:…`) into `targetRepository`, tagged `tag` (a label: the digest is
 * what is deployed). Resolves to "already present" or "copied"; rejects when the target does not
 * serve the source's digest afterwards.
 */
export async function copyImageByDigest({
  source,
  targetRepository,
  tag,
  tlsVerify = true,
}: {
  source: string;
  targetRepository: string;
  tag?: string;
  tlsVerify?: boolean;
}): Promise<"already present" | "copied"> {
  const m = digestRef.exec(source);
  if (!m) throw new ImageCopyError(`${source} is not <repository>@sha256:<64 hex>`);
  const digest = m[2];
  if (!(await which("skopeo", { nothrow: true })))
    throw new ImageCopyError("skopeo is not installed (apt-get install -y skopeo): it copies the image's layers between registries");
  const target = `${targetRepository}@${digest}`;
  if ((await registryDigest(target, { tlsVerify })) === digest) return "already present";
  const dest = `docker://${targetRepository}:${tag ?? `promoted-${digest.slice(7, 19)}`}`;
  const tls = String(tlsVerify);
  const out = await $({
    nothrow: true,
    quiet: true,
  })`skopeo copy --preserve-digests --src-tls-verify=${tls} --dest-tls-verify=${tls} ${`docker://${source}`} ${dest}`;
  if (out.exitCode !== 0) throw new ImageCopyError(`skopeo copy ${source} → ${dest} failed: ${out.stderr.trim().split("\n").pop()}`);
  const got = await registryDigest(target, { tlsVerify });
  if (got !== digest) throw new ImageCopyError(`${targetRepository} serves ${got ?? "nothing"} for ${digest} after the copy`);
  return "copied";
}
