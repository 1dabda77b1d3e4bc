#!/usr/bin/env zx
/**
 * Promotes exactly the image bytes that run in one environment to another, by digest:
 *
 *   zx scripts/promote.mjs staging prod [--dry-run]
 *
 * 1. reads <from>'s release record (SSM /<prefix>/release: git SHA + digests of its last green
 *    deploy, scripts/release-record.mjs) and checks that <from>'s functions still run exactly those
 *    digests (read from the functions, never a tag),
 * 2. preflight of <to> (scripts/preflight.mjs): every secret exists with a value of the right shape,
 *    every --require-input is non-empty — refused here, before anything is copied or applied,
 * 3. smoke-tests <from> (scripts/smoke.mjs),
 * 4. copies each image to <to>'s ECR repository by digest,
 * 5. plans <to> with those digests (`terraform plan -out`; the plan is printed, and is the whole
 *    output of --dry-run), checks the plan's function environments (preflight), and applies exactly
 *    that saved plan (or runs --apply-cmd, for tests and custom pipelines),
 * 6. verifies <to>'s functions: digest as intended, every requiredEnv of pipeline.json present and
 *    non-empty, every Secrets Manager ARN in their environment resolvable,
 * 7. smoke-tests <to>, and records the release in <to>'s own /<prefix>/release.
 * After a failure, <to> is rolled back to its previous digests only if it runs something else than
 * before (read from its functions): a lock timeout or a failed precondition changes nothing, so
 * nothing is rolled back.
 *
 * Options:
 *   --dry-run                 print the plan, change nothing
 *   --from-api URL, --to-api URL        API base URLs (default: `terraform output api_url` of the env)
 *   --from-endpoint URL, --to-endpoint URL  AWS endpoint per env (moto/LocalStack in tests)
 *   --from-profile P, --to-profile P    AWS profile per env (separate accounts): reaches the AWS CLI,
 *                             terraform and the smoke test's SDK client (AWS_PROFILE)
 *   --require-input NAME=HINT  (repeatable) an environment variable <to>'s apply needs non-empty
 *   --database-secret ARN     <to>'s external database secret: must hold username and password
 *   --summary FILE            append the plan and the outcome as Markdown (GitHub job summary)
 *   --lock-timeout D          how long terraform waits for <to>'s state lock (default 5m)
 *   --skip-migrate            do not invoke <to>'s API function with {"action":"migrate"} after the apply
 *                             (tests: moto cannot run the image)
 *   --apply-cmd "CMD"         run CMD instead of terraform; it gets PROMOTE_ENVIRONMENT, PROMOTE_PHASE
 *                             (deploy|rollback), PROMOTE_IMAGES ({image: uri}), PROMOTE_FUNCTIONS
 *                             ({function: uri}) and AWS_ENDPOINT_URL (when --to-endpoint is set)
 *   --region R                default: pipeline.json's region
 * Needs the AWS CLI (preinstalled on GitHub runners) and, for the default apply, terraform.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { $, argv, chalk, echo } from "zx";
import { copyImageByDigest } from "./lib/copy-image.mjs";
import { preflight } from "./preflight.mjs";
import { readRelease, releaseParameter, writeRelease } from "./release-record.mjs";
import { smoke } from "./smoke.mjs";

$.verbose = false;
$.quiet = true;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(argv.manifest ?? join(repoRoot, "pipeline.json"), "utf8"));
const region = argv.region ?? manifest.region;
const [fromEnv, toEnv] = argv._.map(String);
const dryRun = Boolean(argv["dry-run"]);
const digestUri = /^([^@\s]+)@(sha256:[a-f0-9]{64})$/;

class PromotionError extends Error {
  name = "PromotionError";
}

function usage(message) {
  echo(chalk.red(message));
  echo("usage: zx scripts/promote.mjs <from-env> <to-env> [--dry-run] [--apply-cmd CMD] [--from-api URL] [--to-api URL]");
  process.exit(2);
}
if (!fromEnv || !toEnv) usage("two environments are required");
for (const env of [fromEnv, toEnv])
  if (!manifest.environments[env])
    usage(`unknown environment "${env}" (pipeline.json has ${Object.keys(manifest.environments).join(", ")})`);
if (fromEnv === toEnv) usage("from and to must differ");

/** The functions of one environment, with the image each runs and the variables it must have. */
function functionsOf(env) {
  const prefix = manifest.environments[env].prefix;
  return [
    { name: `${prefix}-api`, image: "api", requiredEnv: manifest.services.api?.requiredEnv ?? [] },
    ...Object.entries(manifest.functions).map(([logical, fn]) => ({
      name: `${prefix}-${logical}`,
      image: fn.image,
      requiredEnv: [...new Set([...(fn.requiredEnv ?? []), ...(manifest.services[fn.service]?.requiredEnv ?? [])])],
    })),
  ];
}

/** The AWS CLI bound to one environment's endpoint/profile; returns parsed JSON. */
function awsFor(endpoint, profile) {
  const env = { ...process.env, ...(profile ? { AWS_PROFILE: profile } : {}) };
  const endpointArgs = endpoint ? ["--endpoint-url", endpoint] : [];
  return async (args, { allowMissing = false } = {}) => {
    const out = await $({ env, nothrow: true })`aws ${endpointArgs} --region ${region} --output json ${args}`;
    if (out.exitCode !== 0) {
      if (allowMissing && /ResourceNotFound|ImageNotFound|RepositoryNotFound/.test(out.stderr)) return undefined;
      throw new PromotionError(`aws ${args.slice(0, 2).join(" ")} failed: ${out.stderr.trim().split("\n").pop()}`);
    }
    return out.stdout.trim() ? JSON.parse(out.stdout) : {};
  };
}
const profileEnv = (profile) => (profile ? { AWS_PROFILE: profile } : {});
const from = {
  env: fromEnv,
  prefix: manifest.environments[fromEnv].prefix,
  endpoint: argv["from-endpoint"],
  profile: argv["from-profile"],
  aws: awsFor(argv["from-endpoint"], argv["from-profile"]),
};
const to = {
  env: toEnv,
  prefix: manifest.environments[toEnv].prefix,
  endpoint: argv["to-endpoint"],
  profile: argv["to-profile"],
  aws: awsFor(argv["to-endpoint"], argv["to-profile"]),
};
const lockTimeout = String(argv["lock-timeout"] ?? "5m");
const tlsVerify = !argv["registry-insecure"];
const list = (v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const requiredInputs = Object.fromEntries(
  list(argv["require-input"]).map((v) => (v.includes("=") ? [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)] : [v, `set ${v}`])),
);
const summaryFile = argv.summary || undefined;
const workDir = mkdtempSync(join(tmpdir(), "bluemoxon-promote-"));
process.on("exit", () => rmSync(workDir, { recursive: true, force: true }));

/**
 * `<repo>@sha256:…` of a deployed function (never a tag): its ImageUri when that is by digest (it is
 * then exactly what runs), else the digest Lambda resolved the tag to.
 */
function deployedImage(getFunction) {
  for (const uri of [getFunction?.Code?.ImageUri, getFunction?.Code?.ResolvedImageUri]) {
    const m = digestUri.exec(uri ?? "");
    if (m) return { uri, repositoryUri: m[1], digest: m[2] };
  }
  return undefined;
}

async function readDeployed(side) {
  const byFunction = {};
  for (const fn of functionsOf(side.env)) {
    const got = await side.aws(["lambda", "get-function", "--function-name", fn.name], { allowMissing: true });
    byFunction[fn.name] = got
      ? { ...fn, config: got.Configuration, image: fn.image, deployed: deployedImage(got) }
      : { ...fn, missing: true };
  }
  return byFunction;
}

const durations = [];
let stepNo = 0;
const totalSteps = dryRun ? 4 : argv["skip-migrate"] ? 8 : 9;
async function step(title, fn) {
  stepNo += 1;
  echo(chalk.bold(`[${stepNo}/${totalSteps}] ${title}`));
  const started = Date.now();
  try {
    const result = await fn();
    durations.push({ step: title, ms: Date.now() - started, ok: true });
    echo(chalk.dim(`      done in ${((Date.now() - started) / 1000).toFixed(1)} s`));
    return result;
  } catch (error) {
    durations.push({ step: title, ms: Date.now() - started, ok: false });
    throw error;
  }
}

/** Terraform of one environment, run with that environment's AWS profile (--to-profile reaches it too). */
function terraformOf(side) {
  const dir = argv[`${side === to ? "to" : "from"}-terraform-dir`] ?? join(repoRoot, "terraform/envs", side.env);
  const backend = argv[`${side === to ? "to" : "from"}-backend-config`] ?? `../../backends/${side.env}.hcl`;
  const env = { ...process.env, ...profileEnv(side.profile), TF_IN_AUTOMATION: "1" };
  let initialised;
  const tf = async (args, what) => {
    const out = await $({ env, nothrow: true })`terraform -chdir=${dir} ${args}`;
    if (out.exitCode !== 0)
      throw new PromotionError(`terraform ${what ?? args[0]} of ${side.env} failed: ${out.stderr.trim().split("\n").slice(-6).join(" ")}`);
    return out.stdout;
  };
  return {
    async run(args, what) {
      initialised ??= tf(["init", "-input=false", "-no-color", ...(backend === "none" ? [] : [`-backend-config=${backend}`])], "init");
      await initialised;
      return tf(args, what);
    },
  };
}
const tfTo = terraformOf(to);

async function smokeTest(side, apiArg) {
  const api = apiArg ?? (await terraformOf(side).run(["output", "-raw", "api_url"])).trim();
  const ok = await smoke({ api, secretId: `${side.prefix}/api-key`, region, endpoint: side.endpoint, profile: side.profile });
  if (!ok) throw new PromotionError(`smoke test of ${side.env} (${api}) failed`);
}

/** `terraform plan -out` of <to> with these images: the saved plan, its text and its JSON. */
async function planTo(images, phase) {
  const vars = Object.entries(images).flatMap(([image, uri]) => ["-var", `${image}_image=${uri}`]);
  const planFile = join(workDir, `${toEnv}-${phase}.tfplan`);
  await tfTo.run(["plan", "-input=false", "-no-color", `-lock-timeout=${lockTimeout}`, `-out=${planFile}`, ...vars], "plan");
  const text = await tfTo.run(["show", "-no-color", planFile], "show");
  const json = JSON.parse(await tfTo.run(["show", "-json", planFile], "show"));
  return { planFile, text, json };
}

function showPlan(text, title) {
  const body = text.trim().split("\n");
  echo(body.map((l) => `      ${l}`).join("\n"));
  if (summaryFile) appendFileSync(summaryFile, `\n### ${title}\n\n\`\`\`\n${text.trim()}\n\`\`\`\n`);
}

/** Applies <to> with these images: the apply command, or exactly the saved plan it prints first. */
async function deploy(images, phase) {
  const fnUris = Object.fromEntries(functionsOf(toEnv).map((f) => [f.name, images[f.image]]));
  if (argv["apply-cmd"]) {
    const env = {
      ...process.env,
      ...profileEnv(to.profile),
      PROMOTE_ENVIRONMENT: toEnv,
      PROMOTE_PHASE: phase,
      PROMOTE_IMAGES: JSON.stringify(images),
      PROMOTE_FUNCTIONS: JSON.stringify(fnUris),
      ...(to.endpoint ? { AWS_ENDPOINT_URL: to.endpoint } : {}),
    };
    const out = await $({ env, nothrow: true, cwd: repoRoot })`sh -c ${argv["apply-cmd"]}`;
    if (out.exitCode !== 0) throw new PromotionError(`apply command failed (${out.exitCode}): ${out.stderr.trim().split("\n").pop()}`);
    return;
  }
  const plan = await planTo(images, phase);
  showPlan(plan.text, `terraform plan of ${toEnv} (${phase})`);
  if (phase === "deploy") {
    const problems = await preflight({ env: toEnv, manifest, region, endpoint: to.endpoint, plan: plan.json, inputs: {}, environment: {} });
    if (problems.length) throw new PromotionError(`the plan of ${toEnv} is refused:\n  - ${problems.join("\n  - ")}`);
  }
  await tfTo.run(["apply", "-input=false", "-no-color", `-lock-timeout=${lockTimeout}`, plan.planFile], "apply");
}

/** <to>'s repository URI of an image (the registry host can be replaced for tests: --to-registry). */
async function targetRepository(image) {
  const repo = `${to.prefix}-${image}`;
  const found = await to.aws(["ecr", "describe-repositories", "--repository-names", repo], { allowMissing: true });
  const uri = found?.repositories?.[0]?.repositoryUri;
  if (!uri) throw new PromotionError(`${toEnv} has no image repository ${repo}: apply terraform/bootstrap first`);
  return argv["to-registry"] ? `${argv["to-registry"]}/${repo}` : uri;
}
async function verify(intended) {
  const problems = [];
  for (const fn of Object.values(await readDeployed(to))) {
    if (fn.missing) {
      problems.push(`${fn.name}: function does not exist`);
      continue;
    }
    if (fn.deployed?.digest !== intended[fn.image]?.digest)
      problems.push(`${fn.name}: runs ${fn.deployed?.digest ?? "no digest"}, expected ${intended[fn.image]?.digest}`);
    const vars = fn.config?.Environment?.Variables ?? {};
    for (const name of fn.requiredEnv) {
      if (!(name in vars)) problems.push(`${fn.name}: required variable ${name} is missing`);
      else if (String(vars[name]).trim() === "") problems.push(`${fn.name}: required variable ${name} is empty`);
    }
    for (const [name, value] of Object.entries(vars)) {
      if (!/^arn:aws[a-z-]*:secretsmanager:/.test(value)) continue;
      const found = await to
        .aws(["secretsmanager", "describe-secret", "--secret-id", value], { allowMissing: true })
        .catch(() => undefined);
      if (!found) problems.push(`${fn.name}: ${name} references a secret that cannot be resolved (${value})`);
    }
  }
  if (problems.length) throw new PromotionError(`${toEnv}'s functions are misconfigured:\n  - ${problems.join("\n  - ")}`);
}

const short = (digest) => (digest ? digest.slice(0, 19) : "—");
function summary({ images, previous, outcome }) {
  const lines = [
    "",
    chalk.bold(`promotion ${fromEnv} → ${toEnv}: ${outcome}`),
    `  image    digest promoted      previously in ${toEnv}`,
    ...Object.entries(images ?? {}).map(
      ([image, src]) => `  ${image.padEnd(8)} ${short(src.digest).padEnd(20)} ${short(previous?.[image]?.digest)}`,
    ),
    ...durations.map((d) => `  ${d.ok ? chalk.green("✔") : chalk.red("✘")} ${d.step.padEnd(46)} ${(d.ms / 1000).toFixed(1).padStart(6)} s`),
    `  total ${(durations.reduce((a, d) => a + d.ms, 0) / 1000).toFixed(1)} s`,
  ];
  echo(lines.join("\n"));
  if (summaryFile) {
    const rows = Object.entries(images ?? {}).map(([i, src]) => `| ${i} | \`${src.digest}\` | \`${previous?.[i]?.digest ?? "—"}\` |`);
    appendFileSync(
      summaryFile,
      `\n## promotion ${fromEnv} → ${toEnv}: ${outcome.replace(/\u001b\[[0-9;]*m/g, "")}\n\n| image | promoted | previously in ${toEnv} |\n|---|---|---|\n${rows.join("\n")}\n`,
    );
  }
}

/** Whether <to> runs anything else than `previous` now (read from its functions, not assumed). */
async function changedSince(previous) {
  const now = await readDeployed(to);
  return functionsOf(toEnv).some((f) => now[f.name]?.deployed?.digest !== previous?.[f.image]?.digest);
}

// ---------------------------------------------------------------------------------------------

let images;
let previous;
let attemptedApply = false;
try {
  images = await step(`read ${fromEnv}'s release record and the digests its functions run`, async () => {
    const record = await readRelease({ env: fromEnv, region, endpoint: from.endpoint, profile: from.profile });
    if (!record)
      throw new PromotionError(
        `${fromEnv} has no release record (SSM ${releaseParameter(from.prefix)}): only a deploy that passed its smoke test writes one — run deploy-staging`,
      );
    echo(`      release ${record.sha} (recorded ${record.recordedAt ?? "?"})`);
    const found = {};
    for (const fn of Object.values(await readDeployed(from))) {
      if (fn.missing) throw new PromotionError(`${fn.name} does not exist in ${fromEnv}`);
      if (!fn.deployed) throw new PromotionError(`${fn.name} does not run an image by digest`);
      const recorded = digestUri.exec(record.images[fn.image] ?? "")?.[2];
      if (fn.deployed.digest !== recorded)
        throw new PromotionError(
          `${fn.name} runs ${fn.deployed.digest}, but ${fromEnv}'s last green release has ${recorded}: a later deploy did not pass — fix ${fromEnv} first`,
        );
      found[fn.image] = fn.deployed;
      echo(`      ${fn.name}: ${fn.deployed.digest}`);
    }
    return found;
  });
  previous = await step(`read what ${toEnv} runs now (for rollback)`, async () => {
    const found = {};
    for (const fn of Object.values(await readDeployed(to))) {
      if (fn.deployed) found[fn.image] = fn.deployed;
      echo(`      ${fn.name}: ${fn.deployed?.digest ?? "(not deployed yet)"}`);
    }
    return found;
  });
  await step(`preflight of ${toEnv} (secrets and required inputs)`, async () => {
    const problems = await preflight({
      env: toEnv,
      manifest,
      region,
      endpoint: to.endpoint,
      databaseSecret: argv["database-secret"] || undefined,
      inputs: requiredInputs,
    });
    if (problems.length) throw new PromotionError(`${toEnv} is not ready; nothing was copied or applied:\n  - ${problems.join("\n  - ")}`);
  });

  if (dryRun) {
    await step("plan (dry run)", async () => {
      const planned = {};
      for (const [image, src] of Object.entries(images)) {
        const action = previous[image]?.digest === src.digest ? "unchanged" : `${short(previous[image]?.digest)} → ${short(src.digest)}`;
        const target = await targetRepository(image);
        planned[image] = `${target}@${src.digest}`;
        echo(`      ${image}: copy ${src.repositoryUri}@${src.digest} to ${target}; ${toEnv} ${action}`);
      }
      if (argv["apply-cmd"]) echo("      then: apply command, verify functions, smoke test");
      else showPlan((await planTo(planned, "dry-run")).text, `terraform plan of ${toEnv} (dry run)`);
    });
    summary({ images, previous, outcome: "dry run, nothing changed" });
    process.exit(0);
  }

  await step(`smoke test ${fromEnv} with these digests`, () => smokeTest(from, argv["from-api"]));

  const targetImages = await step(`copy the images to ${toEnv}'s registry by digest`, async () => {
    const result = {};
    for (const [image, src] of Object.entries(images)) {
      const repositoryUri = await targetRepository(image);
      const how = await copyImageByDigest({
        source: `${src.repositoryUri}@${src.digest}`,
        targetRepository: repositoryUri,
        tlsVerify,
      }).catch((error) => {
        throw new PromotionError(error.message);
      });
      result[image] = { uri: `${repositoryUri}@${src.digest}`, repositoryUri, digest: src.digest };
      echo(`      ${image}: ${how} → ${result[image].uri}`);
    }
    return result;
  });

  await step(`apply ${toEnv} with those digests (the saved plan)`, async () => {
    attemptedApply = true;
    await deploy(Object.fromEntries(Object.entries(targetImages).map(([k, v]) => [k, v.uri])), "deploy");
  });
  if (!argv["skip-migrate"])
    await step(`migrate ${toEnv}'s database (the API function runs the migrations)`, async () => {
      const out = join(workDir, "migrate.json");
      const res = await to.aws([
        "lambda",
        "invoke",
        "--function-name",
        `${to.prefix}-api`,
        "--cli-binary-format",
        "raw-in-base64-out",
        "--payload",
        '{"action":"migrate"}',
        out,
      ]);
      if (res.FunctionError) throw new PromotionError(`migration of ${toEnv} failed: ${readFileSync(out, "utf8").slice(0, 500)}`);
    });
  await step(`verify ${toEnv}'s functions (digests, required env, secrets)`, () => verify(targetImages));
  await step(`smoke test ${toEnv}`, () => smokeTest(to, argv["to-api"]));
  const release = await readRelease({ env: fromEnv, region, endpoint: from.endpoint, profile: from.profile });
  await writeRelease({
    env: toEnv,
    region,
    endpoint: to.endpoint,
    profile: to.profile,
    sha: release.sha,
    images: Object.fromEntries(Object.entries(targetImages).map(([k, v]) => [k, v.uri])),
  });
  summary({ images, previous, outcome: chalk.green(`promoted (release ${release.sha} recorded in ${releaseParameter(to.prefix)})`) });
} catch (error) {
  echo(chalk.red(`\n✘ ${error.message}`));
  let outcome = chalk.red("FAILED");
  if (attemptedApply) {
    const changed = await changedSince(previous).catch(() => true);
    const restorable = functionsOf(toEnv).every((f) => previous?.[f.image]);
    if (!changed) {
      outcome = chalk.red(`FAILED — ${toEnv} runs what it ran before; nothing to roll back`);
    } else if (!restorable) {
      outcome = chalk.red(`FAILED after apply; ${toEnv} had no previous digests to roll back to — it runs the new images`);
    } else {
      echo(
        chalk.yellow(
          `rolling back ${toEnv} to the previous digests: ${Object.entries(previous)
            .map(([i, p]) => `${i} ${short(p.digest)}`)
            .join(", ")}`,
        ),
      );
      const started = Date.now();
      try {
        await deploy(Object.fromEntries(Object.entries(previous).map(([k, v]) => [k, v.uri])), "rollback");
        durations.push({ step: `roll back ${toEnv}`, ms: Date.now() - started, ok: true });
        const smokeStarted = Date.now();
        const rolledBackOk = await smokeTest(to, argv["to-api"]).then(
          () => true,
          () => false,
        );
        durations.push({ step: `smoke test ${toEnv} after the rollback`, ms: Date.now() - smokeStarted, ok: rolledBackOk });
        outcome = rolledBackOk
          ? chalk.red(`FAILED — ${toEnv} rolled back to the previous digests (smoke test passed)`)
          : chalk.red(`FAILED — ${toEnv} rolled back to the previous digests, and its SMOKE TEST FAILS there too`);
      } catch (rollbackError) {
        durations.push({ step: `roll back ${toEnv}`, ms: Date.now() - started, ok: false });
        outcome = chalk.red(`FAILED — and the ROLLBACK of ${toEnv} FAILED too: ${rollbackError.message}`);
      }
    }
  }
  summary({ images, previous, outcome });
  process.exit(1);
}
