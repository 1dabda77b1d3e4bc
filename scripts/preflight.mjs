#!/usr/bin/env zx
/**
 * Refuses a deploy that cannot work, before anything is applied:
 *
 *   zx scripts/preflight.mjs --env staging [--plan plan.json] [--database-secret ARN] [--require-input NAME=HINT ...]
 *
 * - every secret of pipeline.json exists as `<prefix>/<name>`, has an AWSCURRENT value, and holds
 *   the shape the code reads (`api-keys`: {"keys": [non-empty, ...]}; `json`: every `fields` entry a
 *   non-empty string; `string`: non-empty) — values are never printed;
 * - the external database secret (--database-secret, prod) holds a username and a password;
 * - every --require-input (an environment variable such as TF_VAR_database_host) is non-empty;
 * - with --plan (`terraform show -json <planfile>`): every requiredEnv of every function the plan
 *   creates or updates is non-empty, or computed by a resource the same apply creates.
 * Each problem names what is missing and how to put it. Exit code 0 = deployable.
 *
 * Options: --region (default pipeline.json's), --endpoint (AWS endpoint: moto in tests), --manifest.
 */
import { readFileSync } from "node:fs";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { argv, chalk, echo } from "zx";

const defaultManifest = () => JSON.parse(readFileSync(new URL("../pipeline.json", import.meta.url), "utf8"));

/** Why a secret's value does not have the shape its kind needs, or undefined when it does. Never includes the value. */
export function shapeProblem(kind, fields, value) {
  if (kind === "string") return value.trim() === "" ? "is an empty string" : undefined;
  let parsed;
  try {
    parsed = JSON.parse(value);
  } catch {
    return "is not JSON";
  }
  if (kind === "api-keys") {
    if (!Array.isArray(parsed?.keys)) return 'has no "keys" list';
    if (!parsed.keys.some((k) => typeof k === "string" && k.trim() !== "")) return 'lists no non-empty key in "keys"';
    return undefined;
  }
  const empty = (fields ?? []).filter((f) => typeof parsed?.[f] !== "string" || parsed[f].trim() === "");
  return empty.length ? `has no non-empty ${empty.map((f) => `"${f}"`).join(", ")}` : undefined;
}

const example = { "api-keys": '{"keys":["<current>"]}', string: "<value>" };
const exampleOf = (spec) => example[spec.kind] ?? JSON.stringify(Object.fromEntries((spec.fields ?? []).map((f) => [f, `<${f}>`])));
const howToPut = (id, spec) =>
  `put it: aws secretsmanager put-secret-value --secret-id ${id} --secret-string file://value.json  # ${exampleOf(spec)}`;

async function readSecret(secrets, id) {
  let described;
  try {
    described = await secrets.send(new DescribeSecretCommand({ SecretId: id }));
  } catch (error) {
    if (error?.name === "ResourceNotFoundException") return { missing: true };
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
    if (error?.name === "ResourceNotFoundException") return { empty: true };
    throw error;
  }
}

/** The problems with one function's planned environment (names only, never values). */
function planProblems(plan, requiredByFunction, hints) {
  const problems = [];
  for (const change of plan.resource_changes ?? []) {
    if (change.type !== "aws_lambda_function" || change.mode !== "managed") continue;
    if (!change.change.actions.some((a) => a === "create" || a === "update")) continue;
    const name = change.change.after?.function_name;
    const required = requiredByFunction[name];
    if (!required) continue;
    const vars = change.change.after?.environment?.[0]?.variables ?? {};
    const unknown = change.change.after_unknown?.environment?.[0]?.variables;
    for (const key of required) {
      const computed = unknown === true || unknown?.[key] === true;
      if (computed) continue;
      if (!(key in vars)) problems.push(`${name}: required variable ${key} is not set by the plan${hints[key] ? ` — ${hints[key]}` : ""}`);
      else if (String(vars[key]).trim() === "")
        problems.push(`${name}: required variable ${key} would be empty${hints[key] ? ` — ${hints[key]}` : ""}`);
    }
  }
  return problems;
}

/** requiredEnv of every function of one environment, by physical function name. */
export function requiredEnvByFunction(manifest, env) {
  const prefix = manifest.environments[env].prefix;
  const out = { [`${prefix}-api`]: manifest.services.api?.requiredEnv ?? [] };
  for (const [logical, fn] of Object.entries(manifest.functions))
    out[`${prefix}-${logical}`] = [...new Set([...(fn.requiredEnv ?? []), ...(manifest.services[fn.service]?.requiredEnv ?? [])])];
  return out;
}

/**
 * Runs every check; resolves to the list of problems (empty = deployable). Values are never read into a message.
 * @example
 * const problems = await preflight({ env: "prod", inputs: { TF_VAR_database_host: "set PROD_DATABASE_HOST" } });
 */
export async function preflight({
  env,
  manifest = defaultManifest(),
  region = manifest.region,
  endpoint,
  plan,
  databaseSecret,
  inputs = {},
  hints = {},
  environment = process.env,
}) {
  if (!manifest.environments[env]) throw new Error(`unknown environment "${env}"`);
  const prefix = manifest.environments[env].prefix;
  const secrets = new SecretsManagerClient({ region, ...(endpoint ? { endpoint } : {}) });
  const problems = [];

  for (const [name, hint] of Object.entries(inputs))
    if (!String(environment[name] ?? "").trim()) problems.push(`${name} is empty — ${hint}`);

  const checks = Object.entries(manifest.secrets).map(([logical, spec]) => ({ id: `${prefix}/${logical}`, spec }));
  if (databaseSecret) checks.push({ id: databaseSecret, spec: { kind: "json", fields: ["username", "password"] }, external: true });
  for (const { id, spec, external } of checks) {
    const got = await readSecret(secrets, id);
    const put = howToPut(id, spec);
    if (got.missing)
      problems.push(
        `secret ${id} does not exist — ${external ? "check the ARN (PROD_DATABASE_SECRET_ARN)" : "apply terraform/bootstrap, which creates it"}, then ${put}`,
      );
    else if (got.deleted)
      problems.push(`secret ${id} is scheduled for deletion — restore it: aws secretsmanager restore-secret --secret-id ${id}`);
    else if (got.empty) problems.push(`secret ${id} has no AWSCURRENT value — ${put}`);
    else if (got.binary) problems.push(`secret ${id} holds a binary value; the code reads a string — ${put}`);
    else {
      const shape = shapeProblem(spec.kind, spec.fields, got.value);
      if (shape) problems.push(`secret ${id} ${shape} — ${put}`);
    }
  }

  if (plan) problems.push(...planProblems(plan, requiredEnvByFunction(manifest, env), hints));
  return problems;
}

/** `--require-input NAME=HINT` (repeatable) → { NAME: HINT }. */
function parsePairs(values) {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return Object.fromEntries(
    list.map((v) => {
      const at = String(v).indexOf("=");
      return at < 0 ? [String(v), `set ${v}`] : [String(v).slice(0, at), String(v).slice(at + 1)];
    }),
  );
}

const invokedDirectly = process.argv.some((a) => a.endsWith("preflight.mjs")) && !process.argv.some((a) => a.endsWith("promote.mjs"));
if (invokedDirectly) {
  const manifest = argv.manifest ? JSON.parse(readFileSync(argv.manifest, "utf8")) : defaultManifest();
  try {
    const problems = await preflight({
      env: argv.env,
      manifest,
      region: argv.region,
      endpoint: argv.endpoint,
      plan: argv.plan ? JSON.parse(readFileSync(argv.plan, "utf8")) : undefined,
      databaseSecret: argv["database-secret"] || undefined,
      inputs: parsePairs(argv["require-input"]),
      hints: parsePairs(argv.hint),
    });
    for (const p of problems) echo(`${chalk.red("✘")} ${p}`);
    echo(
      problems.length
        ? chalk.red(`preflight of ${argv.env} FAILED: ${problems.length} problem(s); nothing was applied`)
        : chalk.green(`preflight of ${argv.env} passed`),
    );
    process.exitCode = problems.length ? 1 : 0;
  } catch (error) {
    echo(chalk.red(`preflight of ${argv.env} could not run: ${error.message}`));
    process.exitCode = 2;
  }
}
