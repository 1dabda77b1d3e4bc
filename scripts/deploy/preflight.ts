/**
 * Refuses a deploy that cannot work, before anything is applied:
 *
 *   zx scripts/preflight.mjs --env staging [--plan plan.json] [--database-secret ARN] [--require-input NAME=HINT ...]
 *
 * - every secret of pipeline.json exists as `<prefix>/<name>`, has an AWSCURRENT value, and holds
 *   the shape the code reads (`api-keys`: {"keys": [non-empty, ...]}, and every key as the API's own
 *   rules take it — at least 32 characters, @bluemoxon/api's createApiKeyProvider; `json`: every
 *   `fields` entry a non-empty string; `string`: non-empty) — values are never printed;
 * - the external database secret (--database-secret, prod) holds a username and a password;
 * - every --require-input (an environment variable such as TF_VAR_database_host) is non-empty;
 * - with --plan (`terraform show -json <planfile>`): every requiredEnv of every function the plan
 *   creates or updates is non-empty, or computed by a resource the same apply creates.
 * Each problem names what is missing and how to put it. Exit code 0 = deployable, 1 = refused, 2 = usage.
 *
 * Options: --region (default pipeline.json's), --endpoint (AWS endpoint: moto in tests), --profile, --manifest.
 */
import { readFileSync } from "node:fs";
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { createApiKeyProvider } from "@bluemoxon/api";
import { deployedFunctions, loadManifest, type Manifest, resourceNames } from "@bluemoxon/core";
import { parseCli, parsePairs, runCli, UsageError } from "./cli-args.ts";
import { awsClient } from "./deploy-clients.ts";

type SecretSpec = Manifest["secrets"][string];

/** Why a secret's value does not have the shape its kind needs, or undefined when it does. Never includes the value. */
export function shapeProblem(kind: SecretSpec["kind"], fields: string[] | undefined, value: string): string | undefined {
  if (kind === "string") return value.trim() === "" ? "is an empty string" : undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value);
  } catch {
    return "is not JSON";
  }
  if (kind === "api-keys") {
    const keys = parsed?.keys;
    if (!Array.isArray(keys)) return 'has no "keys" list';
    if (!keys.some((k) => typeof k === "string" && k.trim() !== "")) return 'lists no non-empty key in "keys"';
    return undefined;
  }
  const empty = (fields ?? []).filter((f) => typeof parsed?.[f] !== "string" || (parsed[f] as string).trim() === "");
  return empty.length ? `has no non-empty ${empty.map((f) => `"${f}"`).join(", ")}` : undefined;
}

/**
 * Why the API would refuse this key list at start (its own rules, from @bluemoxon/api: every usable
 * key at least minApiKeyLength characters), or undefined. The API's message names the secret and the
 * key's position, never the key.
 */
export async function apiKeyProblem(secretId: string, value: string): Promise<string | undefined> {
  const provider = createApiKeyProvider({
    secrets: { send: async () => ({ SecretString: value }) } as unknown as SecretsManagerClient,
    secretId,
    ttlMs: 0,
  });
  try {
    await provider.keys();
    return undefined;
  } catch (error) {
    return `would stop the API: ${(error as Error).message}`;
  }
}

const exampleOf = (spec: Pick<SecretSpec, "kind" | "fields">) =>
  spec.kind === "api-keys"
    ? '{"keys":["<current>"]}'
    : spec.kind === "string"
      ? "<value>"
      : JSON.stringify(Object.fromEntries((spec.fields ?? []).map((f) => [f, `<${f}>`])));
const howToPut = (id: string, spec: Pick<SecretSpec, "kind" | "fields">) =>
  `put it: aws secretsmanager put-secret-value --secret-id ${id} --secret-string file://value.json  # ${exampleOf(spec)}`;

type SecretState = { missing: true } | { deleted: true } | { empty: true } | { binary: true } | { value: string };

async function readSecret(secrets: SecretsManagerClient, id: string): Promise<SecretState> {
  let described: DescribeSecretCommandOutput;
  try {
    described = await secrets.send(new DescribeSecretCommand({ SecretId: id }));
  } catch (error) {
    if ((error as Error)?.name === "ResourceNotFoundException") return { missing: true };
    throw error;
  }
  if (described.DeletedDate) return { deleted: true };
  const current = Object.values(described.VersionIdsToStages ?? {}).some((stages) => stages.includes("AWSCURRENT"));
  if (!current) return { empty: true };
  try {
    const got = await secrets.send(new GetSecretValueCommand({ SecretId: id, VersionStage: "AWSCURRENT" }));
    if (got.SecretString === undefined) return { binary: true };
    return { value: got.SecretString };
  } catch (error) {
    if ((error as Error)?.name === "ResourceNotFoundException") return { empty: true };
    throw error;
  }
}

/** The subset of `terraform show -json` that the plan check reads. */
export interface TerraformPlanJson {
  resource_changes?: {
    type: string;
    mode: string;
    change: {
      actions: string[];
      after?: { function_name?: string; environment?: { variables?: Record<string, string> }[] } | null;
      after_unknown?: { environment?: ({ variables?: true | Record<string, boolean> } | undefined)[] } | null;
    };
  }[];
}

/** The problems with the planned functions' environments (names only, never values). */
function planProblems(plan: TerraformPlanJson, requiredByFunction: Record<string, string[]>, hints: Record<string, string>) {
  const problems: string[] = [];
  for (const change of plan.resource_changes ?? []) {
    if (change.type !== "aws_lambda_function" || change.mode !== "managed") continue;
    if (!change.change.actions.some((a) => a === "create" || a === "update")) continue;
    const name = change.change.after?.function_name ?? "";
    const required = requiredByFunction[name];
    if (!required) continue;
    const vars = change.change.after?.environment?.[0]?.variables ?? {};
    const unknown = change.change.after_unknown?.environment?.[0]?.variables;
    const hint = (key: string) => (hints[key] ? ` — ${hints[key]}` : "");
    for (const key of required) {
      if (unknown === true || (typeof unknown === "object" && unknown?.[key] === true)) continue;
      if (!(key in vars)) problems.push(`${name}: required variable ${key} is not set by the plan${hint(key)}`);
      else if (String(vars[key]).trim() === "") problems.push(`${name}: required variable ${key} would be empty${hint(key)}`);
    }
  }
  return problems;
}

export interface PreflightOptions {
  env: string;
  manifest?: Manifest;
  region?: string;
  endpoint?: string;
  profile?: string;
  plan?: TerraformPlanJson;
  /** ARN of an external database secret (prod) that must hold a username and a password. */
  databaseSecret?: string;
  /** Environment variables that must be non-empty → how to set them. */
  inputs?: Record<string, string>;
  /** requiredEnv name → how to set it, appended to plan problems. */
  hints?: Record<string, string>;
  environment?: Record<string, string | undefined>;
}

/**
 * Runs every check; resolves to the list of problems (empty = deployable). Values are never read into a message.
 * @example
 * const problems = await preflight({ env: "prod", inputs: { TF_VAR_database_host: "set PROD_DATABASE_HOST" } });
 */
export async function preflight({
  env,
  manifest = loadManifest(),
  region,
  endpoint,
  profile,
  plan,
  databaseSecret,
  inputs = {},
  hints = {},
  environment = process.env,
}: PreflightOptions): Promise<string[]> {
  const names = resourceNames(manifest, { environment: env, region });
  const secrets = awsClient(SecretsManagerClient, { region: names.region, endpoint, profile });
  const problems: string[] = [];

  for (const [name, hint] of Object.entries(inputs))
    if (!String(environment[name] ?? "").trim()) problems.push(`${name} is empty — ${hint}`);

  const checks: { id: string; spec: Pick<SecretSpec, "kind" | "fields">; external?: boolean }[] = Object.entries(manifest.secrets).map(
    ([logical, spec]) => ({ id: names.secret(logical), spec }),
  );
  if (databaseSecret) checks.push({ id: databaseSecret, spec: { kind: "json", fields: ["username", "password"] }, external: true });
  try {
    for (const { id, spec, external } of checks) {
      const got = await readSecret(secrets, id);
      const put = howToPut(id, spec);
      if ("missing" in got)
        problems.push(
          `secret ${id} does not exist — ${external ? "check the ARN (PROD_DATABASE_SECRET_ARN)" : "apply terraform/bootstrap, which creates it"}, then ${put}`,
        );
      else if ("deleted" in got)
        problems.push(`secret ${id} is scheduled for deletion — restore it: aws secretsmanager restore-secret --secret-id ${id}`);
      else if ("empty" in got) problems.push(`secret ${id} has no AWSCURRENT value — ${put}`);
      else if ("binary" in got) problems.push(`secret ${id} holds a binary value; the code reads a string — ${put}`);
      else {
        const shape =
          shapeProblem(spec.kind, spec.fields, got.value) ?? (spec.kind === "api-keys" ? await apiKeyProblem(id, got.value) : undefined);
        if (shape) problems.push(`secret ${id} ${shape} — ${put}`);
      }
    }
  } finally {
    secrets.destroy();
  }

  if (plan) {
    const required = Object.fromEntries(deployedFunctions(manifest, names).map((f) => [f.name, f.requiredEnv]));
    problems.push(...planProblems(plan, required, hints));
  }
  return problems;
}

export const usage =
  "preflight.mjs --env ENV [--plan plan.json] [--database-secret ARN] [--require-input NAME=HINT ...] [--hint NAME=HINT ...] [--region R] [--endpoint URL] [--profile P] [--manifest FILE]";

/** The command line; resolves to the exit code. */
export function main(args: string[]): Promise<number> {
  return runCli(usage, async () => {
    const { values, positionals } = parseCli(args, {
      env: { type: "string" },
      plan: { type: "string" },
      "database-secret": { type: "string" },
      "require-input": { type: "string", multiple: true },
      hint: { type: "string", multiple: true },
      region: { type: "string" },
      endpoint: { type: "string" },
      profile: { type: "string" },
      manifest: { type: "string" },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const manifest = loadManifest(values.manifest);
    if (!values.env || !manifest.environments[values.env])
      throw new UsageError(`--env must be one of ${Object.keys(manifest.environments).join(", ")}`);
    let problems: string[];
    try {
      problems = await preflight({
        env: values.env,
        manifest,
        region: values.region,
        endpoint: values.endpoint,
        profile: values.profile,
        plan: values.plan ? (JSON.parse(readFileSync(values.plan, "utf8")) as TerraformPlanJson) : undefined,
        databaseSecret: values["database-secret"] || undefined,
        inputs: parsePairs(values["require-input"]),
        hints: parsePairs(values.hint),
      });
    } catch (error) {
      console.error(`preflight of ${values.env} could not run: ${(error as Error).message}`);
      return 2;
    }
    for (const p of problems) console.log(`✘ ${p}`);
    console.log(
      problems.length
        ? `preflight of ${values.env} FAILED: ${problems.length} problem(s); nothing was applied`
        : `preflight of ${values.env} passed`,
    );
    return problems.length ? 1 : 0;
  });
}
