/**
 * AWS SDK v3 clients bound to one environment (endpoint, profile, region) for the deploy scripts.
 * In-process calls instead of `aws` subprocesses: a promotion makes dozens of reads and writes, and
 * a python start per call made it (and its tests) slow. Credentials come from the SDK's default
 * provider chain for `profile` (env, shared config/credentials files, SSO, web identity), so
 * `--to-profile` reaches these clients the way AWS_PROFILE reaches terraform (`profileEnv`).
 */
import { ECRClient } from "@aws-sdk/client-ecr";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { recordCalls } from "./aws-call-log.ts";

export interface AwsTarget {
  region: string;
  /** AWS endpoint (moto, LocalStack) instead of AWS's own. */
  endpoint?: string;
  /** AWS profile of this environment (separate accounts): reaches the SDK clients and terraform. */
  profile?: string;
}

export interface DeployClients {
  lambda: LambdaClient;
  ecr: ECRClient;
  ssm: SSMClient;
  secrets: SecretsManagerClient;
  destroy(): void;
}

/** An SDK client's configuration for this target: its region, and the endpoint and profile when given. */
export const clientConfig = ({ region, endpoint, profile }: AwsTarget) => ({
  region,
  ...(endpoint ? { endpoint } : {}),
  ...(profile ? { profile } : {}),
});

/**
 * An SDK client for this target (clientConfig), recording its calls when BLUEMOXON_AWS_CALL_LOG is
 * set (aws-call-log.ts: the permission proof's recording). Every deploy script builds its clients here.
 * @example
 * const lambda = awsClient(LambdaClient, { region: "us-east-1", profile: "prod" });
 */
export function awsClient<C>(Client: new (config: ReturnType<typeof clientConfig>) => C, target: AwsTarget): C {
  return recordCalls(new Client(clientConfig(target)));
}

/** Environment variables that point a child process (terraform) at this target's profile. */
export const profileEnv = (profile?: string): Record<string, string> => (profile ? { AWS_PROFILE: profile } : {});

const notFoundNames = new Set([
  "ResourceNotFoundException",
  "RepositoryNotFoundException",
  "ImageNotFoundException",
  "ParameterNotFound",
  "NotFoundException",
]);

/** Whether an SDK error says the thing asked for does not exist. */
export const isNotFound = (error: unknown) => notFoundNames.has((error as Error)?.name);

/** Resolves to undefined when `call` rejects with a "not found"; any other error is thrown. */
export async function unlessMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * @example
 * const aws = deployClients({ region: "us-east-1", endpoint: "http://127.0.0.1:5000" });
 * const fn = await unlessMissing(aws.lambda.send(new GetFunctionCommand({ FunctionName: "bluemoxon-prod-api" })));
 * aws.destroy();
 */
export function deployClients(target: AwsTarget): DeployClients {
  const clients = {
    lambda: awsClient(LambdaClient, target),
    ecr: awsClient(ECRClient, target),
    ssm: awsClient(SSMClient, target),
    secrets: awsClient(SecretsManagerClient, target),
  };
  return {
    ...clients,
    destroy: () => {
      for (const c of Object.values(clients)) c.destroy();
    },
  };
}
