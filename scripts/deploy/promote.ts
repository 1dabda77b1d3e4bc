/**
 * Promotes exactly the image bytes that run in one environment to another, by digest:
 *
 *   zx scripts/promote.mjs staging prod [--dry-run]
 *
 * 1. reads <from>'s release record (SSM /<prefix>/release: git SHA + digests of its last green
 *    deploy, release-record.ts) and checks that <from>'s functions still run exactly those digests
 *    (read from the functions' `live` alias, never a tag),
 * 2. preflight of <to> (preflight.ts): every secret exists with a value of the right shape, every
 *    --require-input is non-empty — refused here, before anything is copied or applied,
 * 3. smoke-tests <from> (smoke.ts),
 * 4. copies each image to <to>'s ECR repository by digest (copy-image.ts, skopeo),
 * 5. plans <to> with those digests (`terraform plan -out`; the plan is printed, and is the whole
 *    output of --dry-run), checks the plan's function environments (preflight), and applies exactly
 *    that saved plan (or runs --apply-cmd, for tests and custom pipelines),
 * 6. puts the versions this apply published (terraform output published_versions) into service
 *    (go-live.ts): the apply left `live` on the previous release, so the new API version migrates
 *    <to>'s database first (expand-only: the code still serving works with it), then every `live`
 *    alias moves to its new version,
 * 7. verifies <to>'s functions: digest as intended, every requiredEnv of pipeline.json present and
 *    non-empty, every Secrets Manager ARN in their environment resolvable,
 * 8. smoke-tests <to>'s API and its worker, and records the release in <to>'s own /<prefix>/release.
 *
 * After a failure, <to> is rolled back only if it runs something else than before (read from its
 * functions): a lock timeout or a failed precondition changes nothing, so nothing is rolled back.
 * The rollback moves each function's `live` alias back to the version it pointed at before (no
 * re-apply of old state), then smoke-tests again. On a first-ever promotion there is no previous
 * version: every function of <to> gets reserved concurrency 0, so nothing runs the failed code
 * (the API is throttled, queue messages wait in SQS); the next promotion lifts it right after its
 * apply (before its migration and smoke tests, which a stopped function would fail), and stops
 * traffic again if it fails too.
 *
 * This module orchestrates the steps; each has its own module: the terraform runner
 * (terraform-runner.ts), step logging (step-log.ts), what the functions run and their verification
 * (function-verification.ts), rollback and the stop of a first promotion (rollback.ts).
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeRepositoriesCommand } from "@aws-sdk/client-ecr";
import { type DeployedFunction, deployedFunctions, loadManifest, type Manifest, repoRoot, resourceNames } from "@bluemoxon/core";
import { $ } from "zx";
import { parseCli, parsePairs, runCli, UsageError } from "./cli-args.ts";
import { copyImageByDigest } from "./copy-image.ts";
import { type DeployClients, deployClients, profileEnv, unlessMissing } from "./deploy-clients.ts";
import { type DeployedImage, type FunctionState, readDeployed, verifyFunctions } from "./function-verification.ts";
import { goLive, parsePublished } from "./go-live.ts";
import { preflight, type TerraformPlanJson } from "./preflight.ts";
import { PromotionError } from "./promotion-error.ts";
import { digestUri, type ReleaseRecord, readRelease, releaseParameter, writeRelease } from "./release-record.ts";
import { liftStop, recoverAfterFailure } from "./rollback.ts";
import { smokeApi, smokeWorker } from "./smoke.ts";
import { StepLog } from "./step-log.ts";
import { type TerraformTarget, terraformRunner } from "./terraform-runner.ts";

export { PromotionError };

export const usage = `promote.mjs <from-env> <to-env> [options]
  --dry-run                   print the plan, change nothing
  --release SHA               refuse unless <from>'s release record is this commit (promote.yml checks it out
                              and runs its scripts; a later deploy of <from> must not be promoted in its place)
  --from-api URL, --to-api URL          API base URLs (default: \`terraform output api_url\` of the env)
  --from-endpoint URL, --to-endpoint URL  AWS endpoint per env (moto/LocalStack in tests)
  --from-profile P, --to-profile P      AWS profile per env (separate accounts): reaches the SDK
                              clients (every AWS call), terraform and the smoke tests
  --require-input NAME=HINT   (repeatable) an environment variable <to>'s apply needs non-empty
  --database-secret ARN       <to>'s external database secret: must hold username and password
  --summary FILE              append the plan and the outcome as Markdown (GitHub job summary)
  --lock-timeout D            how long terraform waits for <to>'s state lock (default 5m)
  --skip-migrate              do not invoke <to>'s new API version with {"action":"migrate"} before the aliases move
  --skip-worker-smoke         do not invoke <to>'s worker with the smoke event (moto cannot run the image)
  --apply-cmd "CMD"           run CMD instead of terraform; it gets PROMOTE_ENVIRONMENT, PROMOTE_PHASE,
                              PROMOTE_IMAGES ({image: uri}), PROMOTE_FUNCTIONS ({function: uri}),
                              PROMOTE_PUBLISHED (a file it must write: {function: version it published},
                              as terraform's published_versions output) and AWS_ENDPOINT_URL (when --to-endpoint is set)
  --to-registry HOST, --registry-insecure   registry host replacing <to>'s ECR host; plain HTTP (tests)
  --from-terraform-dir D, --to-terraform-dir D, --from-backend-config F|none, --to-backend-config F|none
  --region R                  default: pipeline.json's region
  --manifest FILE             default: pipeline.json`;

const options = {
  "dry-run": { type: "boolean" },
  release: { type: "string" },
  "from-api": { type: "string" },
  "to-api": { type: "string" },
  "from-endpoint": { type: "string" },
  "to-endpoint": { type: "string" },
  "from-profile": { type: "string" },
  "to-profile": { type: "string" },
  "require-input": { type: "string", multiple: true },
  "database-secret": { type: "string" },
  summary: { type: "string" },
  "lock-timeout": { type: "string" },
  "skip-migrate": { type: "boolean" },
  "skip-worker-smoke": { type: "boolean" },
  "apply-cmd": { type: "string" },
  "to-registry": { type: "string" },
  "registry-insecure": { type: "boolean" },
  "from-terraform-dir": { type: "string" },
  "to-terraform-dir": { type: "string" },
  "from-backend-config": { type: "string" },
  "to-backend-config": { type: "string" },
  region: { type: "string" },
  manifest: { type: "string" },
} as const;

interface Side extends TerraformTarget {
  prefix: string;
  endpoint?: string;
  api?: string;
  aws: DeployClients;
  functions: DeployedFunction[];
}

const short = (digest?: string) => (digest ? digest.slice(0, 19) : "—");

/**
 * Runs one promotion; resolves to the exit code (0 promoted or dry run, 1 failed). Everything it
 * does is printed through `log`.
 */
export async function promote(args: string[], log: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseCli(args, options);
  const manifest: Manifest = loadManifest(values.manifest);
  if (positionals.length !== 2) throw new UsageError("two environments are required: <from-env> <to-env>");
  const [fromEnv, toEnv] = positionals;
  for (const env of [fromEnv, toEnv])
    if (!manifest.environments[env])
      throw new UsageError(`unknown environment "${env}" (pipeline.json has ${Object.keys(manifest.environments).join(", ")})`);
  if (fromEnv === toEnv) throw new UsageError("from and to must differ");
  const region = values.region ?? manifest.region;
  const dryRun = Boolean(values["dry-run"]);
  const lockTimeout = values["lock-timeout"] ?? "5m";
  const tlsVerify = !values["registry-insecure"];
  const requiredInputs = parsePairs(values["require-input"]);
  const summaryFile = values.summary || undefined;

  const sideOf = (env: string, which: "from" | "to"): Side => {
    const names = resourceNames(manifest, { environment: env, region });
    const endpoint = values[`${which}-endpoint`];
    const profile = values[`${which}-profile`];
    return {
      env,
      prefix: names.prefix,
      endpoint,
      profile,
      api: values[`${which}-api`],
      terraformDir: values[`${which}-terraform-dir`] ?? join(repoRoot, "terraform/envs", env),
      backendConfig: values[`${which}-backend-config`] ?? `../../backends/${env}.hcl`,
      aws: deployClients({ region, endpoint, profile }),
      functions: deployedFunctions(manifest, names),
    };
  };
  const from = sideOf(fromEnv, "from");
  const to = sideOf(toEnv, "to");
  const workDir = mkdtempSync(join(tmpdir(), "bluemoxon-promote-"));

  const steps = new StepLog(log, dryRun ? 4 : 9);
  const step = <T>(title: string, fn: () => Promise<T>) => steps.step(title, fn);

  const tfTo = terraformRunner(to);
  const apiOf = async (side: Side) => side.api ?? (await terraformRunner(side)(["output", "-raw", "api_url"])).trim();

  async function smokeTest(side: Side) {
    const api = await apiOf(side);
    const ok = await smokeApi({
      api,
      secretId: `${side.prefix}/api-key`,
      region,
      endpoint: side.endpoint,
      profile: side.profile,
      log,
    });
    if (!ok) throw new PromotionError(`smoke test of ${side.env} (${api}) failed`);
    if (values["skip-worker-smoke"]) return;
    for (const fn of side.functions.filter((f) => f.logical !== "api")) {
      const workerOk = await smokeWorker({ functionName: fn.name, region, endpoint: side.endpoint, profile: side.profile, log });
      if (!workerOk) throw new PromotionError(`worker smoke test of ${side.env} (${fn.name}) failed`);
    }
  }

  async function planTo(images: Record<string, string>, phase: string) {
    const vars = Object.entries(images).flatMap(([image, uri]) => ["-var", `${image}_image=${uri}`]);
    const planFile = join(workDir, `${toEnv}-${phase}.tfplan`);
    await tfTo(["plan", "-input=false", "-no-color", `-lock-timeout=${lockTimeout}`, `-out=${planFile}`, ...vars], "plan");
    const text = await tfTo(["show", "-no-color", planFile], "show");
    const json = JSON.parse(await tfTo(["show", "-json", planFile], "show")) as TerraformPlanJson;
    return { planFile, text, json };
  }
  function showPlan(text: string, title: string) {
    log(
      text
        .trim()
        .split("\n")
        .map((l) => `      ${l}`)
        .join("\n"),
    );
    if (summaryFile) appendFileSync(summaryFile, `\n### ${title}\n\n\`\`\`\n${text.trim()}\n\`\`\`\n`);
  }

  /**
   * Applies <to> with these images: the apply command, or exactly the saved plan it prints first.
   * Resolves to {function: version} this apply published (terraform output published_versions).
   */
  async function deploy(images: Record<string, string>): Promise<Record<string, string>> {
    const fnUris = Object.fromEntries(to.functions.map((f) => [f.name, images[f.image]]));
    if (values["apply-cmd"]) {
      const publishedFile = join(workDir, "published.json");
      const env = {
        ...process.env,
        ...profileEnv(to.profile),
        PROMOTE_ENVIRONMENT: toEnv,
        PROMOTE_PHASE: "deploy",
        PROMOTE_IMAGES: JSON.stringify(images),
        PROMOTE_FUNCTIONS: JSON.stringify(fnUris),
        PROMOTE_PUBLISHED: publishedFile,
        ...(to.endpoint ? { AWS_ENDPOINT_URL: to.endpoint } : {}),
      };
      const out = await $({ env, nothrow: true, quiet: true, cwd: repoRoot })`sh -c ${values["apply-cmd"]}`;
      if (out.exitCode !== 0) throw new PromotionError(`apply command failed (${out.exitCode}): ${out.stderr.trim().split("\n").pop()}`);
      const reported = await readFile(publishedFile, "utf8").catch(() => {
        throw new PromotionError("the apply command did not write the versions it published to $PROMOTE_PUBLISHED");
      });
      return parsePublished(reported);
    }
    const plan = await planTo(images, "deploy");
    showPlan(plan.text, `terraform plan of ${toEnv}`);
    const problems = await preflight({
      env: toEnv,
      manifest,
      region,
      endpoint: to.endpoint,
      profile: to.profile,
      plan: plan.json,
      environment: {},
    });
    if (problems.length) throw new PromotionError(`the plan of ${toEnv} is refused:\n  - ${problems.join("\n  - ")}`);
    await tfTo(["apply", "-input=false", "-no-color", `-lock-timeout=${lockTimeout}`, plan.planFile], "apply");
    return parsePublished(await tfTo(["output", "-json", "published_versions"], "output"));
  }

  /** <to>'s repository URI of an image (the registry host can be replaced for tests: --to-registry). */
  async function targetRepository(image: string) {
    const repo = `${to.prefix}-${image}`;
    const found = await unlessMissing(to.aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repo] })));
    const uri = found?.repositories?.[0]?.repositoryUri;
    if (!uri) throw new PromotionError(`${toEnv} has no image repository ${repo}: apply terraform/bootstrap first`);
    return values["to-registry"] ? `${values["to-registry"]}/${repo}` : uri;
  }

  function summary(
    images: Record<string, DeployedImage> | undefined,
    previous: Record<string, FunctionState> | undefined,
    outcome: string,
  ) {
    const previousOf = (image: string) => Object.values(previous ?? {}).find((f) => f.image === image)?.deployed?.digest;
    log(
      [
        "",
        `promotion ${fromEnv} → ${toEnv}: ${outcome}`,
        `  image    digest promoted      previously in ${toEnv}`,
        ...Object.entries(images ?? {}).map(
          ([image, src]) => `  ${image.padEnd(8)} ${short(src.digest).padEnd(20)} ${short(previousOf(image))}`,
        ),
        ...steps.table(),
      ].join("\n"),
    );
    if (summaryFile) {
      const rows = Object.entries(images ?? {}).map(([i, src]) => `| ${i} | \`${src.digest}\` | \`${previousOf(i) ?? "—"}\` |`);
      appendFileSync(
        summaryFile,
        `\n## promotion ${fromEnv} → ${toEnv}: ${outcome}\n\n| image | promoted | previously in ${toEnv} |\n|---|---|---|\n${rows.join("\n")}\n`,
      );
    }
  }

  let release: ReleaseRecord | undefined;
  let images: Record<string, DeployedImage> | undefined;
  let previous: Record<string, FunctionState> | undefined;
  let attemptedApply = false;
  try {
    images = await step(`read ${fromEnv}'s release record and the digests its functions run`, async () => {
      const record = await readRelease({ env: fromEnv, manifest, region, endpoint: from.endpoint, profile: from.profile });
      if (!record)
        throw new PromotionError(
          `${fromEnv} has no release record (SSM ${releaseParameter(from.prefix)}): only a deploy that passed its smoke test writes one — run deploy-staging`,
        );
      log(`      release ${record.sha} (recorded ${record.recordedAt ?? "?"})`);
      if (values.release && record.sha !== values.release)
        throw new PromotionError(
          `${fromEnv}'s recorded release is ${record.sha}, not ${values.release} (the commit this run checked out): ${fromEnv} was deployed since — promote again with --release ${record.sha}`,
        );
      release = record;
      const found: Record<string, DeployedImage> = {};
      for (const fn of Object.values(await readDeployed(from))) {
        if (fn.missing) throw new PromotionError(`${fn.name} does not exist in ${fromEnv}`);
        if (!fn.deployed) throw new PromotionError(`${fn.name} does not run an image by digest`);
        const recorded = digestUri.exec(record.images[fn.image] ?? "")?.[2];
        if (fn.deployed.digest !== recorded)
          throw new PromotionError(
            `${fn.name} runs ${fn.deployed.digest}, but ${fromEnv}'s last green release has ${recorded}: a later deploy did not pass — fix ${fromEnv} first`,
          );
        found[fn.image] = fn.deployed;
        log(`      ${fn.name}: ${fn.deployed.digest}`);
      }
      return found;
    });
    previous = await step(`read what ${toEnv} runs now (for rollback)`, async () => {
      const found = await readDeployed(to);
      for (const fn of Object.values(found))
        log(
          `      ${fn.name}: ${fn.deployed?.digest ?? "(not deployed yet)"}${fn.liveVersion ? ` (live = version ${fn.liveVersion})` : ""}`,
        );
      return found;
    });
    await step(`preflight of ${toEnv} (secrets and required inputs)`, async () => {
      const problems = await preflight({
        env: toEnv,
        manifest,
        region,
        endpoint: to.endpoint,
        profile: to.profile,
        databaseSecret: values["database-secret"] || undefined,
        inputs: requiredInputs,
      });
      if (problems.length)
        throw new PromotionError(`${toEnv} is not ready; nothing was copied or applied:\n  - ${problems.join("\n  - ")}`);
    });
    const source = images;
    const before = previous;
    const previousDigest = (image: string) => Object.values(before).find((f) => f.image === image)?.deployed?.digest;

    if (dryRun) {
      await step("plan (dry run)", async () => {
        const planned: Record<string, string> = {};
        for (const [image, src] of Object.entries(source)) {
          const was = previousDigest(image);
          const action = was === src.digest ? "unchanged" : `${short(was)} → ${short(src.digest)}`;
          const target = await targetRepository(image);
          planned[image] = `${target}@${src.digest}`;
          log(`      ${image}: copy ${src.repositoryUri}@${src.digest} to ${target}; ${toEnv} ${action}`);
        }
        if (values["apply-cmd"]) log("      then: apply command, verify functions, smoke test");
        else showPlan((await planTo(planned, "dry-run")).text, `terraform plan of ${toEnv} (dry run)`);
      });
      summary(images, previous, "dry run, nothing changed");
      return 0;
    }

    await step(`smoke test ${fromEnv} with these digests`, () => smokeTest(from));

    const targetImages = await step(`copy the images to ${toEnv}'s registry by digest`, async () => {
      const result: Record<string, DeployedImage> = {};
      for (const [image, src] of Object.entries(source)) {
        const repositoryUri = await targetRepository(image);
        const how = await copyImageByDigest({
          source: `${src.repositoryUri}@${src.digest}`,
          targetRepository: repositoryUri,
          tlsVerify,
        }).catch((error: Error) => {
          throw new PromotionError(error.message);
        });
        result[image] = { uri: `${repositoryUri}@${src.digest}`, repositoryUri, digest: src.digest };
        log(`      ${image}: ${how} → ${result[image].uri}`);
      }
      return result;
    });

    const published = await step(`apply ${toEnv} with those digests (the saved plan)`, async () => {
      attemptedApply = true;
      return await deploy(Object.fromEntries(Object.entries(targetImages).map(([k, v]) => [k, v.uri])));
    });
    // A failed first promotion left every function at reserved concurrency 0, which applies to every
    // version: the new API version could not migrate, nor the smoke tests run. Lift it now, before
    // go-live — what `live` points at is the failed first release until go-live moves it (seconds,
    // plus the migration); a failure from here on stops traffic again (stopTraffic).
    const stopped = Object.values(before).filter((f) => f.reserved === 0);
    if (stopped.length) {
      steps.addStep();
      await step(`lift the stop of ${toEnv}'s failed first promotion (reserved concurrency 0)`, () => liftStop(to, stopped, log));
    }
    await step(`migrate ${toEnv} with the new API version, then move the live aliases to the new versions`, () =>
      goLive({
        env: toEnv,
        manifest,
        region,
        skipMigrate: Boolean(values["skip-migrate"]),
        published,
        log,
        lambda: to.aws.lambda,
      }).catch((error: Error) => {
        throw new PromotionError(error.message);
      }),
    );
    await step(`verify ${toEnv}'s functions (digests, required env, secrets)`, () => verifyFunctions(to, targetImages));
    await step(`smoke test ${toEnv}`, () => smokeTest(to));
    // The release read in step 1, whose digests were promoted: a deploy of <from> since then changed
    // its record, but not what <to> now runs.
    if (!release) throw new PromotionError(`${fromEnv}'s release record was not read`);
    await writeRelease({
      env: toEnv,
      manifest,
      region,
      endpoint: to.endpoint,
      profile: to.profile,
      sha: release.sha,
      images: Object.fromEntries(Object.entries(targetImages).map(([k, v]) => [k, v.uri])),
    });
    summary(images, previous, `promoted (release ${release.sha} recorded in ${releaseParameter(to.prefix)})`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    log(`\n✘ ${(error as Error).message}`);
    let outcome = "FAILED";
    if (attemptedApply && previous) outcome = await recoverAfterFailure({ side: to, previous, steps, smokeTest: () => smokeTest(to), log });
    summary(images, previous, outcome);
    return 1;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    from.aws.destroy();
    to.aws.destroy();
  }
}

/** The command line; resolves to the exit code (2 = usage). */
export function main(args: string[]): Promise<number> {
  return runCli(usage, () => promote(args));
}
