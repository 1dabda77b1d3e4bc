/** Secrets Manager state: secrets by name with their versions, and their snapshot for persistence. */
import { randomBytes } from "node:crypto";
import type { ServiceState } from "../emulated-service.ts";

export interface SecretVersion {
  id: string;
  secretString?: string;
  /** Base64, as on the wire. */
  secretBinary?: string;
  createdAt: number;
  stages: string[];
}

export interface Secret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  createdAt: number;
  lastChangedAt: number;
  lastAccessedAt?: number;
  deletedAt?: number;
  deletionDate?: number;
  versions: SecretVersion[];
  /** A resource policy document (JSON), as `PutResourcePolicy` stored it. */
  resourcePolicy?: string;
}

export interface SecretsStoreOptions {
  region: string;
  accountId: string;
  onChange?: () => void;
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export class SecretsStore implements ServiceState<Secret[]> {
  readonly file = "secrets.json";
  readonly secrets = new Map<string, Secret>();

  constructor(private readonly options: SecretsStoreOptions) {}

  /** A fresh ARN for `name` (AWS appends `-` and six random characters). */
  newArn(name: string): string {
    const suffix = [...randomBytes(6)].map((b) => suffixChars[b % suffixChars.length]).join("");
    return `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${suffix}`;
  }

  /** The ARN IAM sees for an id that names no secret (yet). */
  arnFor(id: string): string {
    return id.startsWith("arn:") ? id : `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${id}`;
  }

  /** A secret by name, full ARN or ARN without the random suffix, expired or not; changes nothing. */
  lookup(id: unknown): Secret | undefined {
    if (typeof id !== "string" || id === "") return undefined;
    const byName = this.secrets.get(id);
    if (byName || !id.startsWith("arn:")) return byName;
    for (const s of this.secrets.values()) if (s.arn === id || s.arn.slice(0, -7) === id) return s;
    return undefined;
  }

  put(secret: Secret): void {
    this.secrets.set(secret.name, secret);
    this.changed();
  }

  delete(secret: Secret): void {
    this.secrets.delete(secret.name);
    this.changed();
  }

  changed(): void {
    this.options.onChange?.();
  }

  snapshot(): Secret[] {
    return [...this.secrets.values()];
  }

  restore(secrets: Secret[]): void {
    for (const s of secrets) this.secrets.set(s.name, s);
  }
}

/** Past its scheduled deletion date: gone for every caller, purged by the next operation that looks it up. */
export function isExpired(secret: Secret, now = Date.now()): boolean {
  return secret.deletionDate !== undefined && secret.deletionDate <= now;
}
