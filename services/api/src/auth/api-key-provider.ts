/**
 * API keys from Secrets Manager (`{"keys": ["current", "previous"]}`): any listed key is
 * valid, so rotation is "add the new key, roll clients, drop the old one" with no redeploy.
 * Cached for a short TTL; concurrent misses share one read. A secret that cannot be read
 * or parsed raises `ApiKeysUnavailableError` (→ 503), never an empty key list (→ 401 for all).
 *
 * Every key must be at least `minApiKeyLength` characters: a short key is guessable, and the
 * secret is the only place the key exists (config holds only the secret's id), so the length is
 * checked where the key is read — at start by `checkApiKeysAtStart`, and on every re-read, so a
 * rotation cannot slip a short key in. Errors name the secret and the key's position, never the key.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Logger } from "@bluemoxon/core";
import { ApiKeysUnavailableError, ApiKeyTooShortError } from "../errors.ts";

/** The shortest API key accepted (`npm start` generates `bmx_` + 24 random bytes, 36 characters). */
export const minApiKeyLength = 32;

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
    const short = valid.findIndex((k) => k.length < minApiKeyLength);
    if (short >= 0)
      throw new ApiKeyTooShortError(
        `the API key secret ${secretId} holds a key shorter than ${minApiKeyLength} characters (key ${short + 1} of ${valid.length}); replace it with a longer one`,
      );
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

/**
 * Reads the keys once at start so a short key stops the process instead of surfacing as 503s.
 * A secret that cannot be read yet is only logged: the API still starts (liveness does not
 * depend on it) and answers 503 until the secret can be read.
 * @example
 * await checkApiKeysAtStart(deps.apiKeys, deps.log); // throws ApiKeyTooShortError naming the secret
 */
export async function checkApiKeysAtStart(apiKeys: ApiKeyProvider, log?: Logger): Promise<void> {
  try {
    await apiKeys.keys();
  } catch (error) {
    if (error instanceof ApiKeyTooShortError) throw error;
    log?.warn("the API key secret cannot be read yet; key-protected routes answer 503 until it can", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
