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
 * 1. finds each function's newest published version (the one the apply just made),
 * 2. invokes the migrations' own function `<prefix>-migrate` (the API image, handler
 *    `lambda.migrateHandler`, a timeout in minutes) at its **new version** — the new code migrates
 *    the database before any traffic reaches it; migrations are expand-only, so the release still
 *    serving works with them — and stops, aliases unmoved, if that fails. An environment applied
 *    before that function existed migrates through the new API version (`{"action":"migrate"}`),
 * 3. moves every function's `live` alias to its new version.
 *
 * deploy-staging runs it after the apply; promote (promote.ts) runs it for prod. Options: --region,
 * --endpoint (moto in tests), --profile, --manifest. Exit code 0 = live, 1 = failed, 2 = usage.
 */
import { GetAliasCommand, InvokeCommand, LambdaClient, ListVersionsByFunctionCommand, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { deployedFunctions, loadManifest, type Manifest, resourceNames } from "@bluemoxon/core";
import { parseCli, runCli, UsageError } from "./cli-args.ts";
import { awsClient, unlessMissing } from "./deploy-clients.ts";

export class GoLiveError extends Error {
  override name = "GoLiveError";
}

/** The migrations' own function of an environment (terraform/modules/pipeline, module "migrate"). */
export const migrateFunctionName = (prefix: string) => `${prefix}-migrate`;

/** The highest numbered published version of a function (never $LATEST). */
export async function newestVersion(lambda: Pick<LambdaClient, "send">, functionName: string): Promise<string> {
  let newest = 0;
  let Marker: string | undefined;
  do {
    const page = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker }));
    for (const v of page.Versions ?? []) if (/^\d+$/.test(v.Version ?? "")) newest = Math.max(newest, Number(v.Version));
    Marker = page.NextMarker;
  } while (Marker);
  if (!newest) throw new GoLiveError(`${functionName} has no published version: was it applied with publish = true?`);
  return String(newest);
}

export interface GoLiveOptions {
  env: string;
  manifest?: Manifest;
  region?: string;
  endpoint?: string;
  profile?: string;
  skipMigrate?: boolean;
  log?: (line: string) => void;
  /** A Lambda client to use instead of one built from region/endpoint/profile (promote passes its own; tests a fake). */
  lambda?: Pick<LambdaClient, "send">;
}

/** Migrates with the new API version, then moves every `live` alias; resolves to {function: version now live}. */
export async function goLive({
  env,
  manifest = loadManifest(),
  region,
  endpoint,
  profile,
  skipMigrate = false,
  log = console.log,
  lambda: given,
}: GoLiveOptions): Promise<Record<string, string>> {
  const names = resourceNames(manifest, { environment: env, region });
  const own = given ? undefined : awsClient(LambdaClient, { region: names.region, endpoint, profile });
  const lambda = (given ?? own) as LambdaClient;
  try {
    const functions = deployedFunctions(manifest, names);
    const target: Record<string, string> = {};
    for (const fn of functions) target[fn.name] = await newestVersion(lambda, fn.name);
    const api = functions.find((f) => f.logical === "api");
    if (!skipMigrate && api) {
      const migrator = migrateFunctionName(names.prefix);
      const own = await unlessMissing(newestVersion(lambda, migrator));
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

export const usage = "go-live.mjs --env ENV [--skip-migrate] [--region R] [--endpoint URL] [--profile P] [--manifest FILE]";

/** The command line; resolves to the exit code. */
export function main(args: string[]): Promise<number> {
  return runCli(usage, async () => {
    const { values, positionals } = parseCli(args, {
      env: { type: "string" },
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
    await goLive({
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
