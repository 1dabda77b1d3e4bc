/**
 * A re-run of an old CI run cannot deploy an older commit over a newer staging
 * (scripts/deploy/deploy-order.ts, run by deploy-staging as `release-record.mjs check-newer`):
 * against a real git history in a temporary repository — main A → B → C, and a commit X off A
 * (a rewritten main).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployOrder, gitIsAncestor } from "../../scripts/deploy/deploy-order.ts";

let dir: string;
const sha: Record<string, string> = {};
const git = (...args: string[]) =>
  execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  }).trim();
const commit = (name: string) => {
  writeFileSync(join(dir, "f"), name);
  git("add", "f");
  git("commit", "-q", "-m", name);
  sha[name] = git("rev-parse", "HEAD");
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bluemoxon-order-"));
  git("init", "-q", "-b", "main");
  commit("A");
  commit("B");
  commit("C");
  git("checkout", "-q", "-b", "rewritten", sha.A);
  commit("X");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const order = (deploying: string, recorded: string | undefined) =>
  deployOrder({ sha: deploying, recordedSha: recorded, env: "staging", isAncestor: gitIsAncestor(dir) });

describe("deploy order", () => {
  it("refuses to deploy an older commit over staging's newer release (a re-run of an old CI run)", () => {
    const old = order(sha.A, sha.C);
    expect(old.ok).toBe(false);
    expect(old.why).toContain(`${sha.A} is older than staging's release ${sha.C}`);
    expect(order(sha.B, sha.C).ok).toBe(false);
  });

  it("allows a newer commit, a re-run of the recorded release itself, and a first deploy", () => {
    expect(order(sha.C, sha.A)).toMatchObject({ ok: true });
    expect(order(sha.C, sha.C)).toMatchObject({ ok: true, why: expect.stringContaining("a re-run of it") });
    expect(order(sha.A, undefined)).toMatchObject({ ok: true, why: expect.stringContaining("first deploy") });
  });

  it("refuses a commit that does not descend from the release (history rewritten): which is newer cannot be told", () => {
    const r = order(sha.X, sha.C);
    expect(r.ok).toBe(false);
    expect(r.why).toContain("does not descend from staging's release");
  });

  it("fails loudly when git does not have the recorded commit (a shallow checkout), instead of guessing", () => {
    expect(() => order(sha.C, "0123456789abcdef0123456789abcdef01234567")).toThrow(/fetch-depth: 0/);
  });
});
