/**
 * The GitHub workflows parse, and say what matters: AWS access only by OIDC role assumption,
 * the image digests built once travel from the build job to terraform apply, the migrate
 * invocation and the smoke test follow the apply, promotion is manual and environment-guarded,
 * and no secret appears in plain text or is pasted into a script. Concurrency never drops a queued
 * promotion, a re-run of an old ci run cannot deploy over a newer staging, and promote runs the
 * release commit's own scripts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const files = ["ci.yml", "deploy-staging.yml", "promote.yml"];
const raw = Object.fromEntries(files.map((f) => [f, readFileSync(resolve(repoRoot, ".github/workflows", f), "utf8")]));
const wf = Object.fromEntries(files.map((f) => [f, parse(raw[f]) as Workflow]));
const awsJobs = (w: Workflow) =>
  Object.entries(w.jobs).filter(([, j]) => j.steps.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials")));

describe("workflows", () => {
  it("parse, and the top-level token is read-only", () => {
    for (const f of files) {
      expect(Object.keys(wf[f].jobs).length, f).toBeGreaterThan(0);
      expect(wf[f].permissions, f).toEqual({ contents: "read" });
    }
  });

  it("reach AWS only through OIDC role assumption", () => {
    for (const f of files) {
      for (const [name, job] of awsJobs(wf[f])) {
        expect(job.permissions?.["id-token"], `${f} ${name}`).toBe("write");
        for (const step of job.steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))) {
          expect(String(step.with?.["role-to-assume"]), `${f} ${name}`).toMatch(/^\$\{\{ vars\.[A-Z_]+ \}\}$/);
          expect(Object.keys(step.with ?? {}), `${f} ${name}: no static keys`).not.toContain("aws-access-key-id");
        }
      }
      expect(raw[f]).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-secret-access-key|AWS_SESSION_TOKEN/);
    }
    expect(awsJobs(wf["deploy-staging.yml"]).map(([n]) => n)).toEqual(["build", "deploy"]);
    expect(awsJobs(wf["promote.yml"]).map(([n]) => n)).toEqual(["promote"]);
  });

  it("hold no plain-text secret and never paste a secret into a script", () => {
    for (const f of files) {
      expect(raw[f], f).not.toMatch(/AKIA[0-9A-Z]{16}/);
      expect(raw[f], f).not.toMatch(/(password|passwd|api[_-]?key|token)\s*[:=]\s*["']?[A-Za-z0-9/+]{8,}/i);
      for (const job of Object.values(wf[f].jobs)) {
        for (const step of job.steps) {
          // Expressions inside `run:` are pasted into the script before it runs (injection, leaks).
          expect(step.run ?? "", f).not.toMatch(/\$\{\{\s*(secrets|github\.event|inputs)\./);
          expect(step.run ?? "", f).not.toMatch(/echo[^\n]*(SECRET|PASSWORD|TOKEN)/i);
        }
      }
    }
  });

  it("deploy-staging builds both images once, by digest, and applies exactly those digests", () => {
    const { build, deploy } = wf["deploy-staging.yml"].jobs;
    const pushes = build.steps.filter((s) => s.uses?.startsWith("docker/build-push-action"));
    expect(pushes.map((s) => s.with?.file).sort()).toEqual(["services/api/Dockerfile", "services/worker/Dockerfile"]);
    for (const s of pushes) {
      expect(s.with?.push, s.id).toBe(true);
      expect(s.with?.provenance, s.id).toBe(false);
    }
    for (const [image, step] of [
      ["api", "api"],
      ["worker", "worker"],
    ]) {
      expect(pushes.some((s) => s.id === step)).toBe(true);
      expect(build.outputs?.[`${image}_image`]).toMatch(
        new RegExp(`/bluemoxon-staging-${image}@\\$\\{\\{ steps\\.${step}\\.outputs\\.digest \\}\\}$`),
      );
      expect(deploy.env?.[`TF_VAR_${image}_image`]).toBe(`\${{ needs.build.outputs.${image}_image }}`);
    }
    expect(deploy.needs).toBe("build");
    const runs = deploy.steps.map((s) => s.run ?? "");
    const applyAt = runs.findIndex((r) => /terraform apply/.test(r));
    // go-live migrates with the new API version, then moves the live aliases: before the smoke test.
    const migrateAt = runs.findIndex((r) => r.includes("scripts/go-live.mjs --env staging") && !r.includes("--skip-migrate"));
    const smokeAt = runs.findIndex((r) => r.includes("scripts/smoke.mjs"));
    expect(applyAt).toBeGreaterThanOrEqual(0);
    expect(migrateAt).toBeGreaterThan(applyAt);
    expect(smokeAt).toBeGreaterThan(migrateAt);
    // live moves to the versions this apply published, read from its state, not the highest ones.
    expect(runs[migrateAt]).toContain("terraform -chdir=terraform/envs/staging output -json published_versions");
    expect(runs[migrateAt]).toMatch(/go-live\.mjs --env staging --published "\$published"/);
    expect(runs.join("\n")).not.toMatch(/-var[ =]+["']?(api|worker)_image=[^$]*:[a-z0-9._-]+["']?\s/);
  });

  it("promote is manual, guarded by the production environment, and runs promote.mjs staging prod", () => {
    const w = wf["promote.yml"];
    expect(Object.keys(w.on)).toEqual(["workflow_dispatch"]);
    const job = w.jobs.promote;
    expect(typeof job.environment === "string" ? job.environment : job.environment?.name).toBe("production");
    expect(job.steps.some((s) => /zx scripts\/promote\.mjs staging prod/.test(s.run ?? ""))).toBe(true);
  });

  it("pin every action by a full commit SHA, with the release it is in a comment", () => {
    for (const f of files) {
      for (const job of Object.values(wf[f].jobs)) {
        for (const step of job.steps.filter((s) => s.uses)) {
          expect(step.uses, `${f}: ${step.uses}`).toMatch(/^[\w.-]+\/[\w.-]+@[a-f0-9]{40}$/);
          expect(raw[f], `${f}: ${step.uses} names its release`).toMatch(new RegExp(`uses: ${step.uses} # v\\d+\\.\\d+\\.\\d+`));
        }
      }
    }
  });

  it("deploy-staging runs only after ci passed on a push to main, on the commit ci tested", () => {
    const w = wf["deploy-staging.yml"];
    expect(w.on).toEqual({ workflow_run: { workflows: ["ci"], types: ["completed"], branches: ["main"] } });
    expect(w.jobs.build.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(w.jobs.build.if).toContain("github.event.workflow_run.event == 'push'");
    for (const job of Object.values(w.jobs)) {
      const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
      expect(checkout?.with?.ref).toBe(`\${{ github.event.workflow_run.head_sha }}`);
    }
  });

  it("never drop a queued promotion: no group shared with deploy-staging, one per release and mode, never cancelling", () => {
    // GitHub keeps one pending run per group: a run queued behind a running one is cancelled when
    // another is queued. So a promotion's group must be one nothing else queues into but the same
    // promotion (same release, same mode), and no deploy-staging run (every push to main) shares it.
    const staging = wf["deploy-staging.yml"].concurrency;
    const promote = wf["promote.yml"].concurrency;
    expect(staging?.["cancel-in-progress"]).toBe(false);
    expect(promote?.["cancel-in-progress"]).toBe(false);
    expect(promote?.group).toContain(`\${{ inputs.release }}`);
    expect(promote?.group).toMatch(/\$\{\{ inputs\.dry_run && '[\w-]+' \|\| '[\w-]+' \}\}/);
    expect(staging?.group).not.toContain("${{");
    expect(promote?.group.startsWith(`${staging?.group}`)).toBe(false);
    expect(wf["ci.yml"].concurrency?.group).not.toBe(promote?.group);
    const inputs = (wf["promote.yml"].on.workflow_dispatch as { inputs: Record<string, { required?: boolean; type?: string }> }).inputs;
    expect(inputs.release).toMatchObject({ required: true, type: "string" });
  });

  it("deploy-staging refuses a commit older than staging's release (a re-run of an old ci run) before it plans", () => {
    const { deploy } = wf["deploy-staging.yml"].jobs;
    const checkout = deploy.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["fetch-depth"], "the history check-newer compares with").toBe(0);
    const runs = deploy.steps.map((s) => s.run ?? "");
    const roleAt = deploy.steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"));
    const checkAt = runs.findIndex((r) => r.includes('scripts/release-record.mjs check-newer --env staging --sha "$DEPLOY_SHA"'));
    const planAt = runs.findIndex((r) => /terraform plan/.test(r));
    expect(checkAt).toBeGreaterThan(roleAt);
    expect(planAt).toBeGreaterThan(checkAt);
    expect(wf["deploy-staging.yml"].env?.DEPLOY_SHA).toBe(`\${{ github.event.workflow_run.head_sha }}`);
  });

  it("promote runs the release commit's scripts, Terraform and lockfile, after checking it is a commit of main", () => {
    const job = wf["promote.yml"].jobs.promote;
    expect(job.env?.RELEASE).toBe(`\${{ inputs.release }}`);
    const releaseCheckoutAt = job.steps.findIndex(
      (s) => s.uses?.startsWith("actions/checkout@") && s.with?.ref === `\${{ inputs.release }}`,
    );
    expect(releaseCheckoutAt).toBeGreaterThan(0);
    // Before it: only the dispatch ref's history (with origin/main) and a git check — no script, npm or terraform.
    const before = job.steps.slice(0, releaseCheckoutAt);
    expect(before[0].uses).toMatch(/^actions\/checkout@/);
    expect(before[0].with?.["fetch-depth"]).toBe(0);
    const check = before.map((s) => s.run ?? "").join("\n");
    expect(check).toContain('git merge-base --is-ancestor "$RELEASE" origin/main');
    expect(check).toMatch(/\[0-9a-f\]\{40\}/);
    expect(check).not.toMatch(/\b(npx|npm|node|zx|terraform)\b/);
    expect(before.some((s) => s.uses?.startsWith("aws-actions/"))).toBe(false);
    // After it: everything that runs repository code, and no partial checkout of only some paths.
    const after = job.steps.slice(releaseCheckoutAt + 1);
    expect(after.some((s) => /\bnpm ci\b/.test(s.run ?? ""))).toBe(true);
    const promote = after.map((s) => s.run ?? "").find((r) => r.includes("scripts/promote.mjs staging prod"));
    expect(promote).toContain('--release "$RELEASE"');
    expect(job.steps.map((s) => s.run ?? "").join("\n")).not.toMatch(/git checkout [^\n]*--/);
  });

  it("install npm packages without install scripts, before any AWS role is assumed", () => {
    for (const f of files) {
      for (const [name, job] of awsJobs(wf[f])) {
        const roleAt = job.steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"));
        job.steps.forEach((s, i) => {
          if (!/\bnpm (ci|install)\b/.test(s.run ?? "")) return;
          expect(s.run, `${f} ${name}`).toContain("--ignore-scripts");
          expect(i, `${f} ${name}: npm runs before the role is assumed`).toBeLessThan(roleAt);
        });
      }
    }
  });

  it("tag images so a re-run of the same commit never collides with an immutable tag", () => {
    const pushes = wf["deploy-staging.yml"].jobs.build.steps.filter((s) => s.uses?.startsWith("docker/build-push-action"));
    for (const s of pushes) {
      expect(String(s.with?.tags)).toContain(`\${{ github.run_id }}`);
      expect(String(s.with?.tags)).toContain(`\${{ github.run_attempt }}`);
    }
  });

  it('default an unset list variable to an empty HCL list (never TF_VAR_x="")', () => {
    for (const f of ["deploy-staging.yml", "promote.yml"]) {
      const envs = Object.values(wf[f].jobs).flatMap((j) => Object.entries(j.env ?? {}));
      const lists = envs.filter(([k]) => /_ids$/.test(k));
      expect(lists.length, f).toBeGreaterThan(0);
      for (const [k, v] of lists) expect(v, `${f} ${k}`).toMatch(/^\$\{\{ vars\.[A-Z_]+ \|\| '\[\]' \}\}$/);
    }
  });

  it("deploy-staging applies exactly the plan the preflight checked", () => {
    const runs = wf["deploy-staging.yml"].jobs.deploy.steps.map((s) => s.run ?? "");
    const planAt = runs.findIndex((r) => /terraform plan .*-out=/.test(r));
    const preflightAt = runs.findIndex((r) => r.includes("scripts/preflight.mjs") && r.includes("--plan"));
    const applyAt = runs.findIndex((r) => /terraform apply .*staging\.tfplan/.test(r));
    expect(planAt).toBeGreaterThanOrEqual(0);
    expect(preflightAt).toBeGreaterThan(planAt);
    expect(applyAt).toBeGreaterThan(preflightAt);
    expect(runs.join("\n")).not.toContain("-auto-approve");
    for (const r of runs.filter((r) => /terraform (plan|apply)/.test(r))) expect(r).toMatch(/-lock-timeout=/);
  });

  it("deploy-staging records the release only after the smoke test", () => {
    const runs = wf["deploy-staging.yml"].jobs.deploy.steps.map((s) => s.run ?? "");
    const smokeAt = runs.findIndex((r) => r.includes("scripts/smoke.mjs"));
    const recordAt = runs.findIndex((r) => r.includes("scripts/release-record.mjs write --env staging"));
    expect(recordAt).toBeGreaterThan(smokeAt);
  });

  it("smoke-test the worker as well as the API: deploy-staging invokes the worker, promote does not skip it", () => {
    const stagingRuns = wf["deploy-staging.yml"].jobs.deploy.steps.map((s) => s.run ?? "");
    const smoke = stagingRuns.find((r) => r.includes("scripts/smoke.mjs"));
    expect(smoke).toMatch(/--api "\$api"/);
    expect(smoke).toContain("--worker bluemoxon-staging-image-worker");
    const promote = wf["promote.yml"].jobs.promote.steps.map((s) => s.run ?? "").find((r) => r.includes("scripts/promote.mjs"));
    expect(promote).toBeDefined();
    expect(promote).not.toContain("--skip-worker-smoke");
    expect(promote).not.toContain("--skip-migrate");
  });

  it("ci lints, typechecks, tests, and checks terraform fmt and validate", () => {
    const runs = wf["ci.yml"].jobs.test.steps.map((s) => s.run ?? "").join("\n");
    for (const cmd of [
      "npm ci",
      "npm run lint",
      "npm run typecheck",
      "npm test",
      "terraform fmt -check -recursive terraform",
      "validate",
    ]) {
      expect(runs).toContain(cmd);
    }
  });
});
