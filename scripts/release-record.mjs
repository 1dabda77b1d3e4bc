#!/usr/bin/env zx
/**
 * The release record of an environment: the git SHA and the image digests of its last deploy that
 * passed every check, in SSM Parameter Store as `/<prefix>/release` (JSON). deploy-staging writes
 * it after a green smoke test; promote.mjs promotes exactly what it records.
 *
 *   zx scripts/release-record.mjs write --env staging --sha <git sha> --image api=<repo>@sha256:… --image worker=<repo>@sha256:…
 *   zx scripts/release-record.mjs read --env staging
 *
 * Options: --region (default pipeline.json's), --endpoint (moto in tests), --profile.
 */
import { readFileSync } from "node:fs";
import { $, argv, chalk, echo } from "zx";

const manifest = JSON.parse(readFileSync(new URL("../pipeline.json", import.meta.url), "utf8"));
const digestUri = /^[^@\s]+@sha256:[a-f0-9]{64}$/;

/** SSM parameter name of an environment's release record. */
export const releaseParameter = (prefix) => `/${prefix}/release`;

function awsArgs({ region = manifest.region, endpoint }) {
  return [...(endpoint ? ["--endpoint-url", endpoint] : []), "--region", region, "--output", "json"];
}

/** Validates a record; throws naming what is wrong. */
export function checkRecord(record) {
  if (!/^[a-f0-9]{7,40}$/.test(String(record?.sha ?? ""))) throw new Error("the release record has no git sha");
  for (const image of Object.keys(manifest.images))
    if (!digestUri.test(String(record?.images?.[image] ?? ""))) throw new Error(`the release record has no ${image} image by digest`);
  return record;
}

/** Reads `/<prefix>/release`; resolves to undefined when none was written yet. */
export async function readRelease({ env, ...opts }) {
  const name = releaseParameter(manifest.environments[env].prefix);
  const out = await $({
    nothrow: true,
    quiet: true,
    env: { ...process.env, ...(opts.profile ? { AWS_PROFILE: opts.profile } : {}) },
  })`aws ${awsArgs(opts)} ssm get-parameter --name ${name}`;
  if (out.exitCode !== 0) {
    if (/ParameterNotFound/.test(out.stderr)) return undefined;
    throw new Error(`reading ${name} failed: ${out.stderr.trim().split("\n").pop()}`);
  }
  return checkRecord(JSON.parse(JSON.parse(out.stdout).Parameter.Value));
}

export async function writeRelease({ env, sha, images, ...opts }) {
  const name = releaseParameter(manifest.environments[env].prefix);
  const record = checkRecord({ sha, images, recordedAt: new Date().toISOString() });
  const out = await $({
    nothrow: true,
    quiet: true,
    env: { ...process.env, ...(opts.profile ? { AWS_PROFILE: opts.profile } : {}) },
  })`aws ${awsArgs(opts)} ssm put-parameter --name ${name} --type String --overwrite --value ${JSON.stringify(record)}`;
  if (out.exitCode !== 0) throw new Error(`writing ${name} failed: ${out.stderr.trim().split("\n").pop()}`);
  return record;
}

const invokedDirectly = process.argv.some((a) => a.endsWith("release-record.mjs"));
if (invokedDirectly) {
  const [command] = argv._.map(String);
  const opts = { env: argv.env, region: argv.region, endpoint: argv.endpoint, profile: argv.profile };
  try {
    if (!manifest.environments[opts.env ?? ""]) throw new Error(`--env must be one of ${Object.keys(manifest.environments).join(", ")}`);
    if (command === "write") {
      const pairs = (Array.isArray(argv.image) ? argv.image : [argv.image]).filter(Boolean).map(String);
      const images = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]));
      const record = await writeRelease({ ...opts, sha: String(argv.sha ?? ""), images });
      echo(chalk.green(`release of ${opts.env} recorded: ${record.sha}`));
    } else if (command === "read") {
      const record = await readRelease(opts);
      if (!record) throw new Error(`no release recorded for ${opts.env}`);
      echo(JSON.stringify(record));
    } else throw new Error("usage: release-record.mjs write|read --env ENV …");
  } catch (error) {
    echo(chalk.red(error.message));
    process.exitCode = 1;
  }
}
