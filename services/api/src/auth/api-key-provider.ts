/**
 * API keys from Secrets Manager (`{"keys": ["current", "previous"]}`): any listed key is
 * valid, so rotation is "add the new key, roll clients, drop the old one" with no redeploy.
 * Cached for a short TTL; concurrent misses share one read. A secret that cannot be read
 * or parsed raises `ApiKeysUnavailableError` (→ 503), never an empty key list (→ 401 for all).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Logger } from "@bluemoxon/core";
import { ApiKeysUnavailableError } from "../errors.ts";

export interface ApiKeyProvider {
  keys(): Promise<string[]>;
}

/**
 * @example
 * const apiKeys = createApiKeyProvider({ secrets, secretId: config.API_KEY_SECRET_ID, ttlMs: 30_000, log });
 * await apiKeys.keys(); // ["current", "previous"]
 */
export function createApiKeyProvider({
  secrets,
  secretId,
  ttlMs = 30_000,
  log,
  now = Date.now,
}: {
  secrets: SecretsManagerClient;
  secretId: string;
  ttlMs?: number;
  log?: Logger;
  now?: () => number;
}): ApiKeyProvider {
  let cached: { keys: string[]; until: number } | undefined;
  let pending: Promise<string[]> | undefined;

  async function read(): Promise<string[]> {
    let text: string | undefined;
    try {
      text = (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (error) {
      throw new ApiKeysUnavailableError(`cannot read the API key secret ${secretId}`, { cause: error });
    }
    let keys: unknown;
    try {
      keys = (JSON.parse(text ?? "") as { keys?: unknown }).keys;
    } catch {
      throw new ApiKeysUnavailableError(`the API key secret ${secretId} is not JSON`);
    }
    if (!Array.isArray(keys)) throw new ApiKeysUnavailableError(`the API key secret ${secretId} has no "keys" list`);
    const valid = keys.filter((k): k is string => typeof k === "string" && k.trim().length > 0);
    if (valid.length === 0) throw new ApiKeysUnavailableError(`the API key secret ${secretId} lists no usable key`);
    for (const k of valid) log?.redactValue(k);
    cached = { keys: valid, until: now() + ttlMs };
    return valid;
  }

  return {
    keys() {
      if (cached && cached.until > now()) return Promise.resolve(cached.keys);
      pending ??= read().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}
