/**
 * Physical names and ARNs of the manifest's resources in one environment.
 *
 * Terraform derives the same names in HCL (`"${prefix}-${name}"`); a test compares the two.
 * Account id defaults to moto's and LocalStack's `000000000000`.
 */
import type { Manifest, PermissionAction } from "./manifest.ts";
import { resourceRefPattern } from "./manifest.ts";

export interface ResourceNamesOptions {
  /** Environment name from `manifest.environments`, e.g. `local`, `staging`. */
  environment: string;
  accountId?: string;
  region?: string;
}

export interface ResourceNames {
  prefix: string;
  region: string;
  accountId: string;
  bucket(name: string): string;
  bucketArn(name: string): string;
  queue(name: string): string;
  dlq(name: string): string;
  queueArn(name: string): string;
  dlqArn(name: string): string;
  secret(name: string): string;
  /** ARN pattern of a secret; AWS appends `-` and 6 random characters to a secret's ARN. */
  secretArnPattern(name: string): string;
  function(name: string): string;
  /** Resolves a permission reference (`queue:image-processing`) to ARN patterns. */
  resolveRef(ref: string): string;
}

/**
 * @example
 * const names = resourceNames(manifest, { environment: "local" });
 * names.queue("image-processing"); // "bluemoxon-local-image-processing"
 */
export function resourceNames(manifest: Manifest, options: ResourceNamesOptions): ResourceNames {
  const env = manifest.environments[options.environment];
  if (!env) {
    throw new Error(`unknown environment "${options.environment}" (pipeline.json has: ${Object.keys(manifest.environments).join(", ")})`);
  }
  const prefix = env.prefix;
  const region = options.region ?? manifest.region;
  const accountId = options.accountId ?? "000000000000";
  const names: ResourceNames = {
    prefix,
    region,
    accountId,
    bucket: (n) => `${prefix}-${n}`,
    bucketArn: (n) => `arn:aws:s3:::${prefix}-${n}`,
    queue: (n) => `${prefix}-${n}`,
    dlq: (n) => `${prefix}-${n}-dlq`,
    queueArn: (n) => `arn:aws:sqs:${region}:${accountId}:${prefix}-${n}`,
    dlqArn: (n) => `arn:aws:sqs:${region}:${accountId}:${prefix}-${n}-dlq`,
    secret: (n) => `${prefix}/${n}`,
    secretArnPattern: (n) => `arn:aws:secretsmanager:${region}:${accountId}:secret:${prefix}/${n}-??????`,
    function: (n) => `${prefix}-${n}`,
    resolveRef(ref) {
      const match = resourceRefPattern.exec(ref);
      if (!match) throw new Error(`invalid resource reference "${ref}"`);
      const [, kind, name] = match;
      switch (kind) {
        case "queue":
          return names.queueArn(name);
        case "dlq":
          return names.dlqArn(name);
        case "bucket":
          return names.bucketArn(name);
        case "objects":
          return `${names.bucketArn(name)}/*`;
        default:
          return names.secretArnPattern(name);
      }
    },
  };
  return names;
}

export interface PolicyStatement {
  Effect: "Allow";
  Action: PermissionAction[];
  Resource: string[];
}

/**
 * The IAM policy statements of one service, as Terraform generates them and the emulator enforces them.
 * @example
 * servicePolicy(manifest, "api", names).map((s) => s.Action);
 */
export function servicePolicy(manifest: Manifest, service: string, names: ResourceNames): PolicyStatement[] {
  const svc = manifest.services[service];
  if (!svc) throw new Error(`unknown service "${service}"`);
  return svc.permissions.map((p) => ({
    Effect: "Allow",
    Action: [...p.actions].sort(),
    Resource: p.resources.map((r) => names.resolveRef(r)),
  }));
}

/** One deployed function of an environment: the API's, or one of `manifest.functions`. */
export interface DeployedFunction {
  /** `api`, or the function's key in `manifest.functions`. */
  logical: string;
  /** Physical name, `<prefix>-<logical>`. */
  name: string;
  /** Key in `manifest.images` of the image it runs. */
  image: string;
  /** Key in `manifest.services` whose permissions and requiredEnv it has. */
  service: string;
  /** Its own requiredEnv merged with its service's, each name once. */
  requiredEnv: string[];
}

/**
 * Every function an environment deploys (the API first), with the variables each must have
 * non-empty — the list Terraform builds and promote verifies.
 * @example
 * deployedFunctions(manifest, resourceNames(manifest, { environment: "prod" })).map((f) => f.name);
 * // ["bluemoxon-prod-api", "bluemoxon-prod-image-worker"]
 */
export function deployedFunctions(manifest: Manifest, names: ResourceNames): DeployedFunction[] {
  const api: DeployedFunction = {
    logical: "api",
    name: names.function("api"),
    image: "api",
    service: "api",
    requiredEnv: [...(manifest.services.api?.requiredEnv ?? [])],
  };
  return [
    api,
    ...Object.entries(manifest.functions).map(([logical, fn]) => ({
      logical,
      name: names.function(logical),
      image: fn.image,
      service: fn.service,
      requiredEnv: [...new Set([...fn.requiredEnv, ...(manifest.services[fn.service]?.requiredEnv ?? [])])],
    })),
  ];
}
