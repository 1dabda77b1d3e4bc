/**
 * The AWS CLI bound to one environment (endpoint, profile, region), for the deploy scripts'
 * calls that the SDK does not cover as simply (ECR, Lambda invoke to a file, SSM from workflows).
 * Replies are parsed JSON; a "not found" can resolve to undefined instead of throwing.
 */
import { $ } from "zx";

export class AwsCliError extends Error {
  override name = "AwsCliError";
}

export interface AwsTarget {
  region: string;
  /** AWS endpoint (moto, LocalStack) instead of AWS's own. */
  endpoint?: string;
  /** AWS profile of this environment (separate accounts): reaches the CLI, terraform and SDK clients. */
  profile?: string;
}

export type AwsCli = <T = Record<string, unknown>>(args: string[], options?: { allowMissing?: boolean }) => Promise<T | undefined>;

const notFound = /ResourceNotFound|ImageNotFound|RepositoryNotFound|ParameterNotFound|NotFoundException/;

/** Environment variables that point a child process (aws, terraform) at this target's profile. */
export const profileEnv = (profile?: string): Record<string, string> => (profile ? { AWS_PROFILE: profile } : {});

/**
 * @example
 * const aws = awsCli({ region: "us-east-1", endpoint: "http://127.0.0.1:5000" });
 * const fn = await aws(["lambda", "get-function", "--function-name", "bluemoxon-prod-api"], { allowMissing: true });
 */
export function awsCli({ region, endpoint, profile }: AwsTarget): AwsCli {
  const env = { ...process.env, ...profileEnv(profile) };
  const endpointArgs = endpoint ? ["--endpoint-url", endpoint] : [];
  return async <T>(args: string[], { allowMissing = false } = {}) => {
    const out = await $({ env, nothrow: true, quiet: true })`aws ${endpointArgs} --region ${region} --output json ${args}`;
    if (out.exitCode !== 0) {
      if (allowMissing && notFound.test(out.stderr)) return undefined;
      throw new AwsCliError(`aws ${args.slice(0, 2).join(" ")} failed: ${out.stderr.trim().split("\n").pop()}`);
    }
    return (out.stdout.trim() ? JSON.parse(out.stdout) : {}) as T;
  };
}
