/**
 * Local credentials per service, so the emulator can tell the API from the worker and enforce
 * each one's permissions from `pipeline.json` with the same statements Terraform generates.
 * Keys look like AWS's (`AKIA` + 16 characters, 40-character secrets) so every client accepts
 * them. With a `seed` they are derived deterministically, so a persisted stack keeps its keys
 * across restarts; without one they are random.
 */
import { createHmac, randomBytes } from "node:crypto";
import { type Manifest, resourceNames, servicePolicy } from "@bluemoxon/core";
import { wireRecord } from "../wire-record.ts";
import type { Principal } from "./policy.ts";

export interface CreatePrincipalsOptions {
  environment: string;
  accountId?: string;
  region?: string;
  /** Derive keys from this value instead of at random (keep it out of logs: it yields every secret). */
  seed?: string;
}

export interface Principals {
  admin: Principal;
  /** One principal per `manifest.services` entry, keyed by service name. */
  services: Record<string, Principal>;
}

const keyIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * @example
 * const { admin, services } = createPrincipals(manifest, { environment: "local", seed: stackSeed });
 * spawnApi({ AWS_ACCESS_KEY_ID: services.api.accessKeyId, AWS_SECRET_ACCESS_KEY: services.api.secretAccessKey });
 */
export function createPrincipals(manifest: Manifest, options: CreatePrincipalsOptions): Principals {
  const names = resourceNames(manifest, { environment: options.environment, accountId: options.accountId, region: options.region });
  const used = new Set<string>();
  const credentialsFor = (label: string) => {
    for (let attempt = 0; ; attempt++) {
      const bytes = (n: number, purpose: string) =>
        options.seed === undefined ? randomBytes(n) : derive(options.seed, `${options.environment}/${label}/${purpose}/${attempt}`, n);
      // Both alphabets have a power-of-two size, so taking low bits keeps every character equally likely.
      const accessKeyId = `AKIA${pick(bytes(16, "id"), keyIdAlphabet)}`;
      if (used.has(accessKeyId)) continue;
      used.add(accessKeyId);
      return { accessKeyId, secretAccessKey: pick(bytes(40, "secret"), secretAlphabet) };
    }
  };
  const admin: Principal = { name: "admin", admin: true, statements: [], ...credentialsFor("admin") };
  const services: Record<string, Principal> = wireRecord();
  for (const service of Object.keys(manifest.services).sort()) {
    services[service] = {
      name: service,
      statements: servicePolicy(manifest, service, names).map((s) => ({
        Effect: s.Effect,
        Action: [...s.Action],
        Resource: [...s.Resource],
      })),
      ...credentialsFor(`service:${service}`),
    };
  }
  return { admin, services };
}

function pick(bytes: Buffer, alphabet: string): string {
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** HMAC-SHA256 in counter mode: as many pseudo-random bytes as needed from the seed. */
function derive(seed: string, label: string, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) {
    blocks.push(createHmac("sha256", seed).update(`${label}#${i}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}
