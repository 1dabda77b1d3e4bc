/**
 * Puts a deployed release into service, migrations first:
 *
 *   zx scripts/go-live.mjs --env staging [--skip-migrate]
 *
 * Terraform publishes every change as a new version but leaves the `live` alias (what the API
 * route, the queue's event source mapping and the schedule call) where it is — it only creates it
 * on a first apply (terraform/modules/container-function: ignore_changes on its version). So after
 * an apply the previous release still takes all traffic, and this step:
 *
 * 1. takes each function's version from what this apply published (terraform's output
 *    `published_versions`, {function: version}) — never the highest version, which can be another
 *    apply's or a hand-published one: `live` must get exactly the code this run planned and applied,
 * 2. invokes the migrations' own function `<prefix>-migrate` (the API image, handler
 *    `lambda.migrateHandler`, a timeout in minutes) at its **new version** — the new code migrates
 *    the database before any traffic reaches it; migrations are expand-only, so the release still
 *    serving works with them — and stops, aliases unmoved, if that fails. An environment applied
 *    before that function existed migrates through the new API version (`{"action":"migrate"}`),
 * 3. moves every function's `live` alias to its new version.
 *
 * deploy-staging runs it after the apply (`--published "$(terraform output -json published_versions)"`);
 * promote (promote.ts) runs it for prod. Options: --region, --endpoint (moto in tests), --profile, --manifest. Exit code 0 = live, 1 = failed, 2 = usage.
 */
import { GetAliasCommand, InvokeCommand, LambdaClient, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { deployedFunctions, loadManifest, type Manifest, resourceNames } from "@bluemoxon/core";
import { parseCli, runCli, UsageError } from "./cli-args.ts";
import { awsClient, unlessMissing } from "./deploy-clients.ts";

export class GoLiveError extends Error {
  override name = "GoLiveError";
}

/** The migrations' own function of an environment (terraform/modules/pipeline, module "migrate"). */
export const migrateFunctionName = (prefix: string) => `${prefix}-migrate`;

/**
 * The published versions one apply reports ({function name: version}, terraform output
 * `published_versions`), checked: each a published version number, never $LATEST or empty.
 */
export function parsePublished(json: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new GoLiveError(`the published versions are not JSON (terraform output -json published_versions): ${json.slice(0, 200)}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new GoLiveError("the published versions must be an object {function name: version}");
  const out: Record<string, string> = {};
  for (const [name, version] of Object.entries(parsed)) {
    const v = String(version);
    if (!/^[1-9]\d*$/.test(v)) throw new GoLiveError(`${name}: published version "${v}" is not a published version number`);
    out[name] = v;
  }
  return out;
}

export interface GoLiveOptions {
  env: string;
  manifest?: Manifest;
  region?: string;
  endpoint?: string;
  profile?: string;
  skipMigrate?: boolean;
  /** {function name: version} this apply published (terraform output `published_versions`): what `live` moves to. */
  published: Record<string, string>;
  log?: (line: string) => void;
  /** A Lambda client to use instead of one built from region/endpoint/profile (promote passes its own; tests a fake). */
  lambda?: Pick<LambdaClient, "send">;
}

/** Migrates with the new API version, then moves every `live` alias to the version this apply published; resolves to {function: version now live}. */
export async function goLive({
  env,
  manifest = loadManifest(),
  region,
  endpoint,
  profile,
  skipMigrate = false,
  published,
  log = console.log,
  lambda: given,
}: GoLiveOptions): Promise<Record<string, string>> {
  const names = resourceNames(manifest, { environment: env, region });
  const own = given ? undefined : awsClient(LambdaClient, { region: names.region, endpoint, profile });
  const lambda = (given ?? own) as LambdaClient;
  try {
    const functions = deployedFunctions(manifest, names);
    const target: Record<string, string> = {};
    const missing = functions.filter((fn) => !published[fn.name]).map((fn) => fn.name);
    if (missing.length)
      throw new GoLiveError(
        `the apply reported no published version of ${missing.join(", ")} (terraform output published_versions); no alias was moved`,
      );
    for (const fn of functions) target[fn.name] = published[fn.name];
    const api = functions.find((f) => f.logical === "api");
    if (!skipMigrate && api) {
      const migrator = migrateFunctionName(names.prefix);
      const own = published[migrator];
      const [name, version, payload] = own ? [migrator, own, "{}"] : [api.name, target[api.name], '{"action":"migrate"}'];
      log(`      migrate: ${name}:${version} (the new code, before it takes traffic)`);
      const res = await lambda.send(new InvokeCommand({ FunctionName: name, Qualifier: version, Payload: Buffer.from(payload) }));
      const answer = Buffer.from(res.Payload ?? []).toString("utf8");
      if (res.FunctionError)
        throw new GoLiveError(`migration of ${env} failed; no alias was moved, the previous release still serves: ${answer.slice(0, 500)}`);
      log(`      migrated: ${answer.slice(0, 300)}`);
    }
    for (const fn of functions) {
      const alias = await unlessMissing(lambda.send(new GetAliasCommand({ FunctionName: fn.name, Name: "live" })));
      if (!alias) throw new GoLiveError(`${fn.name} has no live alias: apply terraform first`);
      if (alias.FunctionVersion === target[fn.name]) continue;
      await lambda.send(new UpdateAliasCommand({ FunctionName: fn.name, Name: "live", FunctionVersion: target[fn.name] }));
      log(`      ${fn.name}: live ${alias.FunctionVersion} → ${target[fn.name]}`);
    }
    return target;
  } finally {
    own?.destroy();
  }
}

export const usage =
  'go-live.mjs --env ENV --published "$(terraform output -json published_versions)" [--skip-migrate] [--region R] [--endpoint URL] [--profile P] [--manifest FILE]';

/** The command line; resolves to the exit code. */
export function main(args: string[]): Promise<number> {
  return runCli(usage, async () => {
    const { values, positionals } = parseCli(args, {
      env: { type: "string" },
      published: { type: "string" },
      "skip-migrate": { type: "boolean" },
      region: { type: "string" },
      endpoint: { type: "string" },
      profile: { type: "string" },
      manifest: { type: "string" },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const manifest = loadManifest(values.manifest);
    if (!values.env || !manifest.environments[values.env])
      throw new UsageError(`--env must be one of ${Object.keys(manifest.environments).join(", ")}`);
    if (!values.published)
      throw new UsageError("--published is required: the versions this apply published (terraform output -json published_versions)");
    let published: Record<string, string>;
    try {
      published = parsePublished(values.published);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    await goLive({
      published,
      env: values.env,
      manifest,
      region: values.region,
      endpoint: values.endpoint,
      profile: values.profile,
      skipMigrate: Boolean(values["skip-migrate"]),
    });
    console.log(`${values.env} is live`);
    return 0;
  });
}
