/**
 * Whether a commit may be deployed over what an environment records as its release: only that
 * release itself (a re-run of the latest deploy) or a commit that descends from it. Re-running an
 * old CI run (or a deploy whose CI finished after a newer one's) would otherwise apply an older
 * commit over a newer staging — deploy-staging runs this check before its plan:
 *
 *   zx scripts/release-record.mjs check-newer --env staging --sha "$DEPLOY_SHA"
 *
 * The ancestry comes from git (`git merge-base --is-ancestor`), so the checkout needs the history
 * of main (`fetch-depth: 0`).
 */
import { spawnSync } from "node:child_process";

export type DeployOrder = { ok: true; why: string } | { ok: false; why: string };

/** Decides; `isAncestor(a, b)` is true when commit a is an ancestor of commit b (or equal to it). */
export function deployOrder({
  sha,
  recordedSha,
  env,
  isAncestor,
}: {
  sha: string;
  recordedSha: string | undefined;
  env: string;
  isAncestor: (ancestor: string, descendant: string) => boolean;
}): DeployOrder {
  if (!recordedSha) return { ok: true, why: `${env} has no release recorded yet (first deploy)` };
  if (sha === recordedSha) return { ok: true, why: `${sha} is ${env}'s recorded release (a re-run of it)` };
  if (isAncestor(recordedSha, sha)) return { ok: true, why: `${sha} descends from ${env}'s release ${recordedSha}` };
  if (isAncestor(sha, recordedSha))
    return {
      ok: false,
      why: `${sha} is older than ${env}'s release ${recordedSha}: a re-run of an old deploy would put older code over a newer ${env}; deploy a newer commit instead`,
    };
  return {
    ok: false,
    why: `${sha} does not descend from ${env}'s release ${recordedSha} (main was rewritten?): refused, since which is newer cannot be told; deploy a commit of main that contains ${recordedSha}`,
  };
}

/** `git merge-base --is-ancestor` in a repository; throws when git cannot tell (a commit not fetched). */
export const gitIsAncestor =
  (cwd: string) =>
  (ancestor: string, descendant: string): boolean => {
    const run = spawnSync("git", ["merge-base", "--is-ancestor", ancestor, descendant], { cwd, encoding: "utf8" });
    if (run.status === 0) return true;
    if (run.status === 1) return false;
    throw new Error(
      `git cannot compare ${ancestor} and ${descendant} (is the full history of main checked out? fetch-depth: 0): ${(run.stderr ?? run.error?.message ?? "").trim()}`,
    );
  };
