#!/usr/bin/env zx
/**
 * Promotes exactly the image bytes that run in one environment to another, by digest:
 *
 *   zx scripts/promote.mjs staging prod [--dry-run]
 *
 * 1. reads the digests deployed in <from> from its Lambda functions (not from a tag),
 * 2. smoke-tests <from> (scripts/smoke.mjs),
 * 3. copies each image to <to>'s ECR repository by digest,
 * 4. applies <to> with those digests (terraform; or --apply-cmd for tests and custom pipelines),
 * 5. verifies <to>'s functions: digest as intended, every requiredEnv of pipeline.json present and
 *    non-empty, every Secrets Manager ARN in their environment resolvable,
 * 6. smoke-tests <to>.
 * Any failure after the apply re-applies <to>'s previous digests, and says so.
 *
 * Options:
 *   --dry-run                 print the plan, change nothing
 *   --from-api URL, --to-api URL        API base URLs (default: `terraform output api_url` of the env)
 *   --from-endpoint URL, --to-endpoint URL  AWS endpoint per env (moto/LocalStack in tests)
 *   --from-profile P, --to-profile P    AWS CLI profile per env (separate accounts)
 *   --apply-cmd "CMD"         run CMD instead of terraform; it gets PROMOTE_ENVIRONMENT, PROMOTE_PHASE
 *                             (deploy|rollback), PROMOTE_IMAGES ({image: uri}), PROMOTE_FUNCTIONS
 *                             ({function: uri}) and AWS_ENDPOINT_URL (when --to-endpoint is set)
 *   --region R                default: pipeline.json's region
 * Needs the AWS CLI (preinstalled on GitHub runners) and, for the default apply, terraform.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { $, argv, chalk, echo, which } from "zx";
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
const from = { env: fromEnv, prefix: manifest.environments[fromEnv].prefix, aws: awsFor(argv["from-endpoint"], argv["from-profile"]) };
const to = { env: toEnv, prefix: manifest.environments[toEnv].prefix, aws: awsFor(argv["to-endpoint"], argv["to-profile"]) };

/** `<repo>@sha256:…` of a deployed function, from its resolved image (never a tag). */
function deployedImage(getFunction) {
  for (const uri of [getFunction?.Code?.ResolvedImageUri, getFunction?.Code?.ImageUri]) {
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
const totalSteps = dryRun ? 3 : 7;
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

async function terraformOutput(env, name) {
  const dir = join(repoRoot, "terraform/envs", env);
  await $`terraform -chdir=${dir} init -input=false -backend-config=../../backends/${env}.hcl`;
  return (await $`terraform -chdir=${dir} output -raw ${name}`).stdout.trim();
}

async function smokeTest(side, apiArg, endpointArg) {
  const api = apiArg ?? (await terraformOutput(side.env, "api_url"));
  const ok = await smoke({ api, secretId: `${side.prefix}/api-key`, region, endpoint: endpointArg });
  if (!ok) throw new PromotionError(`smoke test of ${side.env} (${api}) failed`);
}

async function apply(images, phase) {
  const fnUris = Object.fromEntries(functionsOf(toEnv).map((f) => [f.name, images[f.image]]));
  if (argv["apply-cmd"]) {
    const env = {
      ...process.env,
      PROMOTE_ENVIRONMENT: toEnv,
      PROMOTE_PHASE: phase,
      PROMOTE_IMAGES: JSON.stringify(images),
      PROMOTE_FUNCTIONS: JSON.stringify(fnUris),
      ...(argv["to-endpoint"] ? { AWS_ENDPOINT_URL: argv["to-endpoint"] } : {}),
    };
    const out = await $({ env, nothrow: true, cwd: repoRoot })`sh -c ${argv["apply-cmd"]}`;
    if (out.exitCode !== 0) throw new PromotionError(`apply command failed (${out.exitCode}): ${out.stderr.trim().split("\n").pop()}`);
    return;
  }
  const dir = join(repoRoot, "terraform/envs", toEnv);
  const vars = Object.entries(images).flatMap(([image, uri]) => ["-var", `${image}_image=${uri}`]);
  await $`terraform -chdir=${dir} init -input=false -backend-config=../../backends/${toEnv}.hcl`;
  const out = await $({ nothrow: true })`terraform -chdir=${dir} apply -input=false -auto-approve -no-color ${vars}`;
  if (out.exitCode !== 0)
    throw new PromotionError(`terraform apply of ${toEnv} failed: ${out.stderr.trim().split("\n").slice(-5).join(" ")}`);
}

async function copyImage(image, source, targetRepo) {
  const imageId = [`imageDigest=${source.digest}`];
  const present = await to.aws(["ecr", "batch-get-image", "--repository-name", targetRepo, "--image-ids", imageId]);
  if (present.images?.length) return "already present";
  const sourceRepo = source.repositoryUri.split("/").slice(1).join("/");
  const got = await from.aws([
    "ecr",
    "batch-get-image",
    "--repository-name",
    sourceRepo,
    "--image-ids",
    imageId,
    "--accepted-media-types",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
  ]);
  const found = got.images?.[0];
  if (!found) throw new PromotionError(`image ${image} ${source.digest} is not in ${sourceRepo} any more`);
  try {
    await to.aws([
      "ecr",
      "put-image",
      "--repository-name",
      targetRepo,
      "--image-manifest",
      found.imageManifest,
      "--image-manifest-media-type",
      found.imageManifestMediaType ?? JSON.parse(found.imageManifest).mediaType,
      "--image-digest",
      source.digest,
    ]);
    return "manifest copied";
  } catch (error) {
    // Across accounts the layers are not in the target registry yet: copy the blobs too.
    if (!/LayersNotFound/.test(error.message)) throw error;
    if (!(await which("crane", { nothrow: true })))
      throw new PromotionError(`${error.message}; install crane to copy layers across registries`);
    const targetUri = (await to.aws(["ecr", "describe-repositories", "--repository-names", targetRepo])).repositories[0].repositoryUri;
    await $`crane copy ${source.repositoryUri}@${source.digest} ${targetUri}@${source.digest}`;
    return "copied with crane";
  }
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
  echo("");
  echo(chalk.bold(`promotion ${fromEnv} → ${toEnv}: ${outcome}`));
  echo("  image    digest promoted      previously in " + toEnv);
  for (const [image, src] of Object.entries(images ?? {}))
    echo(`  ${image.padEnd(8)} ${short(src.digest).padEnd(20)} ${short(previous?.[image]?.digest)}`);
  for (const d of durations)
    echo(`  ${d.ok ? chalk.green("✔") : chalk.red("✘")} ${d.step.padEnd(46)} ${(d.ms / 1000).toFixed(1).padStart(6)} s`);
  echo(`  total ${(durations.reduce((a, d) => a + d.ms, 0) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------

let images;
let previous;
let applied = false;
try {
  images = await step(`read the image digests deployed in ${fromEnv}`, async () => {
    const found = {};
    for (const fn of Object.values(await readDeployed(from))) {
      if (fn.missing) throw new PromotionError(`${fn.name} does not exist in ${fromEnv}`);
      if (!fn.deployed) throw new PromotionError(`${fn.name} does not run an image by digest`);
      if (found[fn.image] && found[fn.image].digest !== fn.deployed.digest)
        throw new PromotionError(`functions of image ${fn.image} run different digests in ${fromEnv}`);
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

  if (dryRun) {
    await step("plan (dry run)", async () => {
      for (const [image, src] of Object.entries(images)) {
        const action = previous[image]?.digest === src.digest ? "unchanged" : `${short(previous[image]?.digest)} → ${short(src.digest)}`;
        echo(`      ${image}: copy ${src.repositoryUri}@${src.digest} to ${to.prefix}-${image}; ${toEnv} ${action}`);
      }
      echo(`      then: apply ${toEnv} (${argv["apply-cmd"] ? "apply command" : "terraform"}), verify functions, smoke test ${toEnv}`);
    });
    summary({ images, previous, outcome: "dry run, nothing changed" });
    process.exit(0);
  }

  await step(`smoke test ${fromEnv} with these digests`, () => smokeTest(from, argv["from-api"], argv["from-endpoint"]));

  const targetImages = await step(`copy the images to ${toEnv}'s registry by digest`, async () => {
    const result = {};
    for (const [image, src] of Object.entries(images)) {
      const targetRepo = `${to.prefix}-${image}`;
      const how = await copyImage(image, src, targetRepo);
      const repositoryUri = (await to.aws(["ecr", "describe-repositories", "--repository-names", targetRepo])).repositories[0]
        .repositoryUri;
      result[image] = { uri: `${repositoryUri}@${src.digest}`, repositoryUri, digest: src.digest };
      echo(`      ${image}: ${how} → ${result[image].uri}`);
    }
    return result;
  });

  await step(`apply ${toEnv} with those digests`, async () => {
    applied = true;
    await apply(Object.fromEntries(Object.entries(targetImages).map(([k, v]) => [k, v.uri])), "deploy");
  });
  await step(`verify ${toEnv}'s functions (digests, required env, secrets)`, () => verify(targetImages));
  await step(`smoke test ${toEnv}`, () => smokeTest(to, argv["to-api"], argv["to-endpoint"]));
  summary({ images, previous, outcome: chalk.green("promoted") });
} catch (error) {
  echo(chalk.red(`\n✘ ${error.message}`));
  let outcome = chalk.red("FAILED");
  if (applied) {
    const restorable = functionsOf(toEnv).every((f) => previous?.[f.image]);
    if (!restorable) {
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
        await apply(Object.fromEntries(Object.entries(previous).map(([k, v]) => [k, v.uri])), "rollback");
        durations.push({ step: `roll back ${toEnv}`, ms: Date.now() - started, ok: true });
        outcome = chalk.red(`FAILED — ${toEnv} rolled back to the previous digests`);
      } catch (rollbackError) {
        durations.push({ step: `roll back ${toEnv}`, ms: Date.now() - started, ok: false });
        outcome = chalk.red(`FAILED — and the ROLLBACK of ${toEnv} FAILED too: ${rollbackError.message}`);
      }
    }
  }
  summary({ images, previous, outcome });
  process.exit(1);
}
