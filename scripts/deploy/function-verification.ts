/**
 * What an environment's functions run, read from their `live` alias (never a tag), and the check
 * after a promotion's go-live (promote.ts step 7): every function runs the intended digest, has
 * every requiredEnv of pipeline.json non-empty, and every Secrets Manager ARN in its environment
 * resolves.
 */
import { GetAliasCommand, GetFunctionCommand, type GetFunctionCommandOutput, GetFunctionConcurrencyCommand } from "@aws-sdk/client-lambda";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import type { DeployedFunction } from "@bluemoxon/core";
import { type DeployClients, unlessMissing } from "./deploy-clients.ts";
import { PromotionError } from "./promotion-error.ts";
import { digestUri } from "./release-record.ts";

export interface DeployedImage {
  uri: string;
  repositoryUri: string;
  digest: string;
}

export interface FunctionState extends DeployedFunction {
  missing?: boolean;
  /** Version the `live` alias points at; undefined when the function has no alias (yet). */
  liveVersion?: string;
  /** Reserved concurrency (0 = takes no traffic). */
  reserved?: number;
  environment: Record<string, string>;
  deployed?: DeployedImage;
}

/** The functions of one environment and the AWS clients to reach them. */
export interface FunctionsSide {
  env: string;
  aws: DeployClients;
  functions: DeployedFunction[];
}

/** `<repo>@sha256:…` of a function version (never a tag): its ImageUri when by digest, else the digest Lambda resolved. */
export function deployedImage(got: GetFunctionCommandOutput | undefined): DeployedImage | undefined {
  for (const uri of [got?.Code?.ImageUri, got?.Code?.ResolvedImageUri]) {
    const m = digestUri.exec(uri ?? "");
    if (m) return { uri: uri as string, repositoryUri: m[1], digest: m[2] };
  }
  return undefined;
}

/** What each function of one side runs: the version behind `live` when it has that alias, else $LATEST. */
export async function readDeployed(side: FunctionsSide): Promise<Record<string, FunctionState>> {
  const out: Record<string, FunctionState> = {};
  for (const fn of side.functions) {
    const { lambda } = side.aws;
    const alias = await unlessMissing(lambda.send(new GetAliasCommand({ FunctionName: fn.name, Name: "live" })));
    const got = await unlessMissing(lambda.send(new GetFunctionCommand({ FunctionName: fn.name, Qualifier: alias?.FunctionVersion })));
    const concurrency = got ? await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: fn.name })) : undefined;
    out[fn.name] = got
      ? {
          ...fn,
          liveVersion: alias?.FunctionVersion,
          reserved: concurrency?.ReservedConcurrentExecutions,
          environment: got.Configuration?.Environment?.Variables ?? {},
          deployed: deployedImage(got),
        }
      : { ...fn, missing: true, environment: {} };
  }
  return out;
}

/** Throws a PromotionError listing every problem of the side's functions against the intended images. */
export async function verifyFunctions(side: FunctionsSide, intended: Record<string, DeployedImage>): Promise<void> {
  const problems: string[] = [];
  for (const fn of Object.values(await readDeployed(side))) {
    if (fn.missing) {
      problems.push(`${fn.name}: function does not exist`);
      continue;
    }
    if (fn.deployed?.digest !== intended[fn.image]?.digest)
      problems.push(`${fn.name}: runs ${fn.deployed?.digest ?? "no digest"}, expected ${intended[fn.image]?.digest}`);
    for (const name of fn.requiredEnv) {
      if (!(name in fn.environment)) problems.push(`${fn.name}: required variable ${name} is missing`);
      else if (String(fn.environment[name]).trim() === "") problems.push(`${fn.name}: required variable ${name} is empty`);
    }
    for (const [name, value] of Object.entries(fn.environment)) {
      if (!/^arn:aws[a-z-]*:secretsmanager:/.test(value)) continue;
      const found = await unlessMissing(side.aws.secrets.send(new DescribeSecretCommand({ SecretId: value }))).catch(() => undefined);
      if (!found) problems.push(`${fn.name}: ${name} references a secret that cannot be resolved (${value})`);
    }
  }
  if (problems.length) throw new PromotionError(`${side.env}'s functions are misconfigured:\n  - ${problems.join("\n  - ")}`);
}
