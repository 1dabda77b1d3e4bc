#!/usr/bin/env zx
/**
 * Smoke test of a deployed API: `/health` (no auth), `/health/deep` with a key read from Secrets
 * Manager, one authenticated read, and proof that the read refuses a missing key.
 *
 *   zx scripts/smoke.mjs --api https://abc.execute-api.us-east-1.amazonaws.com --secret-id bluemoxon-staging/api-key
 *
 * Options: --region (default pipeline.json's), --endpoint (AWS endpoint, e.g. moto/LocalStack), --profile,
 * --read-path (default /api/v1/books?limit=1), --timeout-ms (per request, default 15000).
 * The key is never printed. Exit code 0 = all checks passed.
 */
import { readFileSync } from "node:fs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { argv, chalk, echo } from "zx";

const manifest = JSON.parse(readFileSync(new URL("../pipeline.json", import.meta.url), "utf8"));

/** The first (current) key of an `{"keys": [...]}` secret, or a plain-string secret. */
export function currentKey(secretString) {
  try {
    const parsed = JSON.parse(secretString);
    if (Array.isArray(parsed?.keys) && typeof parsed.keys[0] === "string" && parsed.keys[0] !== "") return parsed.keys[0];
  } catch {
    // not JSON: a plain key
  }
  if (typeof secretString === "string" && secretString.trim() !== "" && !secretString.trim().startsWith("{")) return secretString.trim();
  throw new Error('the API key secret holds no key (expected {"keys": ["current", ...]})');
}

async function check(name, fn) {
  const started = Date.now();
  try {
    const detail = await fn();
    echo(`${chalk.green("✔")} ${name} ${chalk.dim(`${Date.now() - started} ms${detail ? ` · ${detail}` : ""}`)}`);
    return true;
  } catch (error) {
    echo(`${chalk.red("✘")} ${name}: ${error.message}`);
    return false;
  }
}

async function get(url, { key, timeoutMs }) {
  const headers = key ? { "x-api-key": key } : {};
  return fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
}

/** Runs the checks; resolves to true when every one passed. */
export async function smoke({
  api,
  secretId,
  region = manifest.region,
  endpoint,
  profile,
  readPath = "/api/v1/books?limit=1",
  timeoutMs = 15_000,
}) {
  if (!api) throw new Error("--api URL is required");
  if (!secretId) throw new Error("--secret-id is required");
  const base = api.replace(/\/+$/, "");
  // The profile of the environment under test (promote.mjs --to-profile), not whatever AWS_PROFILE is.
  const secrets = new SecretsManagerClient({ region, ...(endpoint ? { endpoint } : {}), ...(profile ? { profile } : {}) });
  let key;
  const results = [];
  results.push(
    await check(`secret ${secretId} holds an API key`, async () => {
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      key = currentKey(SecretString ?? "");
    }),
  );
  results.push(
    await check(`GET ${base}/health`, async () => {
      const res = await get(`${base}/health`, { timeoutMs });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
    }),
  );
  results.push(
    await check(`GET ${base}/health/deep (authenticated)`, async () => {
      if (!key) throw new Error("no API key");
      const res = await get(`${base}/health/deep`, { key, timeoutMs });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`status ${res.status}: ${body.slice(0, 300)}`);
    }),
  );
  results.push(
    await check(`GET ${base}${readPath} (authenticated read)`, async () => {
      if (!key) throw new Error("no API key");
      const res = await get(`${base}${readPath}`, { key, timeoutMs });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      await res.json();
    }),
  );
  results.push(
    await check(`GET ${base}${readPath} without a key is refused`, async () => {
      const res = await get(`${base}${readPath}`, { timeoutMs });
      if (res.status !== 401 && res.status !== 403) throw new Error(`status ${res.status}, expected 401`);
    }),
  );
  return results.every(Boolean);
}

const invokedDirectly = process.argv.some((a) => a.endsWith("smoke.mjs")) && !process.argv.some((a) => a.endsWith("promote.mjs"));
if (invokedDirectly) {
  const ok = await smoke({
    api: argv.api,
    secretId: argv["secret-id"],
    region: argv.region,
    endpoint: argv.endpoint,
    profile: argv.profile,
    readPath: argv["read-path"],
    timeoutMs: argv["timeout-ms"] ? Number(argv["timeout-ms"]) : undefined,
  }).catch((error) => {
    echo(chalk.red(error.message));
    return false;
  });
  echo(ok ? chalk.green("smoke test passed") : chalk.red("smoke test FAILED"));
  process.exitCode = ok ? 0 : 1;
}
