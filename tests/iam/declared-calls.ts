/**
 * AWS calls of the deploy path that the rehearsal cannot make on moto, declared so the permission
 * proof evaluates them too — each with why it is not recorded. The same table (aws-operations.ts)
 * turns them into authorizations.
 */
import { loadManifest } from "@bluemoxon/core";
import type { CiRole } from "./call-recorder.ts";
import type { TerraformCallRecord } from "./terraform-log.ts";

const manifest = loadManifest();
const workers = (env: string) => Object.keys(manifest.functions).map((f) => `bluemoxon-${env}-${f}`);
const images = Object.keys(manifest.images);

export interface DeclaredCall {
  role: CiRole;
  step: string;
  why: string;
  call: TerraformCallRecord;
}

const tf = (service: string, operation: string, input: TerraformCallRecord["input"], extra: Partial<TerraformCallRecord> = {}) =>
  ({ via: "terraform", service, operation, method: "POST", path: "/", input, ...extra }) as TerraformCallRecord;

const envTags = (env: string) => ({ project: "bluemoxon", environment: env, managed_by: "terraform" });

/** The terraform state of `env` in the bootstrap's bucket (backends/<env>.hcl), with its S3-native lock file. */
function stateCalls(role: CiRole, env: string, step: string): DeclaredCall[] {
  const why = "the rehearsal keeps state in a local backend; CI uses backends/<env>.hcl (S3, use_lockfile = true)";
  const key = `/bluemoxon-terraform-state/image-pipeline/${env}.tfstate`;
  return [
    tf("S3", "ListObjectsV2", {}, { path: "/bluemoxon-terraform-state?list-type=2&prefix=image-pipeline" }),
    tf("S3", "GetObject", {}, { path: key }),
    tf("S3", "PutObject", {}, { path: key }),
    tf("S3", "HeadObject", {}, { path: `${key}.tflock` }),
    tf("S3", "PutObject", {}, { path: `${key}.tflock` }),
    tf("S3", "GetObject", {}, { path: `${key}.tflock` }),
    tf("S3", "DeleteObject", {}, { path: `${key}.tflock` }),
  ].map((call) => ({ role, step, why, call }));
}

/** Pushing (docker push / skopeo copy to) an ECR repository, and pulling from one. */
const push = (role: CiRole, step: string, repo: string, why: string): DeclaredCall[] =>
  [
    "GetAuthorizationToken",
    "BatchCheckLayerAvailability",
    "InitiateLayerUpload",
    "UploadLayerPart",
    "CompleteLayerUpload",
    "PutImage",
    "BatchGetImage",
  ].map((op) => ({ role, step, why, call: tf("ECR", op, op === "GetAuthorizationToken" ? {} : { repositoryName: repo }) }));
const pull = (role: CiRole, step: string, repo: string, why: string): DeclaredCall[] =>
  ["GetAuthorizationToken", "BatchGetImage", "GetDownloadUrlForLayer"].map((op) => ({
    role,
    step,
    why,
    call: tf("ECR", op, op === "GetAuthorizationToken" ? {} : { repositoryName: repo }),
  }));

const lambdaInvoke = (fn: string, qualifier: string) =>
  tf("Lambda", "Invoke", {}, { path: `/2015-03-31/functions/${fn}/invocations?Qualifier=${qualifier}` });

export const declaredCalls: DeclaredCall[] = [
  // deploy-staging
  ...stateCalls("staging-deploy", "staging", "deploy-staging"),
  ...images.flatMap((i) =>
    push(
      "staging-deploy",
      "deploy-staging",
      `bluemoxon-staging-${i}`,
      "deploy-staging.yml pushes the images (docker push); the rehearsal pushes to a local registry",
    ),
  ),
  ...[
    tf("RDS", "CreateDBSubnetGroup", { DBSubnetGroupName: "bluemoxon-staging-db" }, { tags: envTags("staging") }),
    tf(
      "RDS",
      "CreateDBCluster",
      {
        DBClusterIdentifier: "bluemoxon-staging-db",
        DBSubnetGroupName: "bluemoxon-staging-db",
        ManageMasterUserPassword: "true",
        StorageEncrypted: "true",
      },
      { tags: envTags("staging") },
    ),
    tf(
      "RDS",
      "CreateDBInstance",
      { DBInstanceIdentifier: "bluemoxon-staging-db-1", DBClusterIdentifier: "bluemoxon-staging-db" },
      { tags: envTags("staging") },
    ),
    tf("RDS", "DescribeDBClusters", { DBClusterIdentifier: "bluemoxon-staging-db" }),
    tf("RDS", "DescribeDBInstances", { DBInstanceIdentifier: "bluemoxon-staging-db-1" }),
    tf("RDS", "DescribeDBSubnetGroups", { DBSubnetGroupName: "bluemoxon-staging-db" }),
  ].map((call) => ({
    role: "staging-deploy" as const,
    step: "deploy-staging",
    why: "staging's Aurora (enable_database) is planned, not applied, on moto (its RDS does not model managed master passwords)",
    call,
  })),
  ...[lambdaInvoke("bluemoxon-staging-api", "2"), ...workers("staging").map((w) => lambdaInvoke(w, "live"))].map((call) => ({
    role: "staging-deploy" as const,
    step: "deploy-staging",
    why: "go-live's migrate invoke and the worker smoke are skipped on moto (it cannot run the images)",
    call,
  })),
  {
    role: "staging-deploy",
    step: "deploy-staging",
    why: "deploy-staging's check-newer step (release-record.mjs check-newer) reads staging's record before the plan; the rehearsal does not run it",
    call: tf("SSM", "GetParameter", { Name: "/bluemoxon-staging/release" }),
  },
  // promote
  ...stateCalls("prod-promote", "prod", "promote"),
  ...[tf("S3", "GetObject", {}, { path: "/bluemoxon-terraform-state/image-pipeline/staging.tfstate" })].map((call) => ({
    role: "prod-promote" as const,
    step: "promote",
    why: "promote reads staging's api_url from staging's state (terraform output) unless --from-api is given, as the rehearsal does",
    call,
  })),
  ...images.flatMap((i) => [
    ...pull(
      "prod-promote",
      "promote",
      `bluemoxon-staging-${i}`,
      "skopeo copies staging's image; the rehearsal copies between local registries",
    ),
    ...push(
      "prod-promote",
      "promote",
      `bluemoxon-prod-${i}`,
      "skopeo copies into prod's repository; the rehearsal copies between local registries",
    ),
  ]),
  ...[lambdaInvoke("bluemoxon-prod-api", "2"), ...[...workers("prod"), ...workers("staging")].map((w) => lambdaInvoke(w, "live"))].map(
    (call) => ({
      role: "prod-promote" as const,
      step: "promote",
      why: "the migrate invoke and the worker smoke tests (staging's before the copy, prod's after go-live) are skipped on moto",
      call,
    }),
  ),
];
