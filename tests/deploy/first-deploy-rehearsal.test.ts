/**
 * The first real deploy, rehearsed end to end on one fresh "account" (one moto server with AWS's
 * managed IAM policies loaded), its cases chained on that one world as they would happen:
 *
 *  1. a VPC as the account has it (private subnets behind a NAT), then `terraform/bootstrap`
 *     applied first: repositories, secret containers (no values), roles;
 *  2. deploy-staging's steps: preflight refuses while staging's secrets have no value; the
 *     operator puts them; images pushed to a real OCI registry (the distribution registry, with
 *     real layers); `terraform plan -out` of staging in the VPC, preflight of the plan, apply of
 *     exactly that plan; go-live (the `live` aliases move to the new versions); smoke test; release record;
 *  3. `promote.mjs staging prod` with real terraform, case after case: prod's secrets without a
 *     value (refused before anything, nothing changed), a required input empty (refused), the
 *     first-ever promotion failing its smoke test (prod's functions at reserved concurrency 0: no
 *     version takes traffic), the happy path (lifts that; the digest prod runs = the digest staging
 *     runs, read from both functions), a held state lock (waits, fails, nothing rolled back), and a
 *     later release failing its smoke test (the `live` aliases moved back, the rollback smoke-tested).
 *
 * Every AWS call the deploy steps make is recorded (Terraform's debug log, the scripts' SDK call log:
 * tests/iam/call-recorder.ts) under the CI role that makes it; the last case checks that
 * tests/iam/recorded-calls.json — what the permission proof evaluates — holds every one of them
 * (UPDATE_RECORDED_CALLS=1 rewrites it from this run).
 *
 * Moto cannot run our images, so the APIs are stand-ins (tests/deploy/fake-api.ts) and the migrate
 * and worker-smoke invocations are skipped (--skip-migrate, --skip-worker-smoke): those steps are
 * tested against real handlers elsewhere (tests/deploy/smoke.test.ts, services/*).
 */
import { execFile, spawn } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from "@aws-sdk/client-ec2";
import { DescribeRepositoriesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { GetRoleCommand, IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { GetAliasCommand, GetFunctionCommand, GetFunctionConcurrencyCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { loadManifest, repoRoot } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callLogVariable } from "../../scripts/deploy/aws-call-log.ts";
import { goLive, parsePublished } from "../../scripts/deploy/go-live.ts";
import { preflight } from "../../scripts/deploy/preflight.ts";
import { readRelease, writeRelease } from "../../scripts/deploy/release-record.ts";
import { smokeApi } from "../../scripts/deploy/smoke.ts";
import { callRecorder, loadRecording, operationKey, type Recording, recordingPath } from "../iam/call-recorder.ts";
import { type MotoServer, startMoto } from "../support/moto.ts";
import { motoOverride, prepareTerraform, type Terraform } from "../terraform/terraform-cli.ts";
import { fakeApi, listen } from "./fake-api.ts";
import { pushTestImage, type Registry, servesImage, startRegistry } from "./oci-registry.ts";

const manifest = loadManifest();
const region = manifest.region;
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const images = Object.keys(manifest.images);
const fnNames = (env: string) => [`bluemoxon-${env}-api`, ...Object.keys(manifest.functions).map((f) => `bluemoxon-${env}-${f}`)];
const imageOf = (fn: string) => (fn.endsWith("-api") ? "api" : manifest.functions[fn.replace(/^bluemoxon-[a-z]+-/, "")].image);
const shaA = "1111111111111111111111111111111111111111";
const shaB = "2222222222222222222222222222222222222222";

let moto: MotoServer | undefined;
let registry: Registry | undefined;
let tf: Terraform | undefined;
let skipReason = "";
let aws: {
  ec2: EC2Client;
  ecr: ECRClient;
  iam: IAMClient;
  lambda: LambdaClient;
  secrets: SecretsManagerClient;
  ssm: SSMClient;
};
let endpoint = "";
let host = "";
// The API refuses keys shorter than 32 characters (and so does the preflight).
const keyTail = "-0123456789abcdef0123456789";
const apis = {
  staging: fakeApi(`key-staging${keyTail}`, async () => false),
  // Fails its deep health check, when so told, only while the API's `live` alias runs staging's newest digest.
  // Throttled, as API Gateway answers, while the API function has reserved concurrency 0.
  prod: fakeApi(
    `key-prod${keyTail}`,
    async () => (await liveImage("bluemoxon-prod-api")).endsWith(digests.b.api),
    async () => (await functionExists("bluemoxon-prod-api")) && (await reserved("bluemoxon-prod-api")) === 0,
  ),
};
const urls = { staging: "", prod: "" };
/** Digests pushed to the registry: release A (first), release B (later). */
const digests = { a: {} as Record<string, string>, b: {} as Record<string, string> };
const subnets = { staging: [] as string[], prod: [] as string[] };
let externalDb = { staging: "", prod: "" };
const savedEnv: Record<string, string | undefined> = {};
let recorder: Awaited<ReturnType<typeof callRecorder>> | undefined;

const liveImage = async (fn: string, qualifier = "live") =>
  (await aws.lambda.send(new GetFunctionCommand({ FunctionName: fn, Qualifier: qualifier }))).Code?.ImageUri ?? "";
const liveVersion = async (fn: string) => (await aws.lambda.send(new GetAliasCommand({ FunctionName: fn, Name: "live" }))).FunctionVersion;
const reserved = async (fn: string) =>
  (await aws.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: fn }))).ReservedConcurrentExecutions;
const functionExists = (fn: string) =>
  aws.lambda.send(new GetFunctionCommand({ FunctionName: fn })).then(
    () => true,
    (e: Error) => (e.name === "ResourceNotFoundException" ? false : Promise.reject(e)),
  );
const digestOf = (uri: string) => uri.split("@")[1];

/** A VPC as a fresh account has it (DNS support and hostnames on): two private subnets whose route table sends 0.0.0.0/0 to a NAT gateway. */
async function buildVpc(cidr: number): Promise<string[]> {
  const { ec2 } = aws;
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${cidr}.0.0/16` }))).Vpc?.VpcId;
  // The interface endpoints' private DNS needs DNS hostnames (off on a new VPC) and DNS support.
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: true } }));
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsSupport: { Value: true } }));
  const subnet = async (n: number, az: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.${cidr}.${n}.0/24`, AvailabilityZone: az }))).Subnet
      ?.SubnetId as string;
  const [a, b, pub] = [await subnet(1, `${region}a`), await subnet(2, `${region}b`), await subnet(3, `${region}a`)];
  const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
  const eip = (await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }))).AllocationId;
  const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: eip }))).NatGateway?.NatGatewayId;
  const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable?.RouteTableId;
  await ec2.send(new CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: nat }));
  for (const s of [a, b]) await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: s }));
  return [a, b];
}

const putSecrets = async (env: "staging" | "prod") => {
  const values: Record<string, string> = {
    "api-key": JSON.stringify({ keys: [`key-${env}${keyTail}`] }),
    "ebay-credentials": JSON.stringify({ clientId: `${env}-id`, clientSecret: `${env}-secret` }),
  };
  for (const name of Object.keys(manifest.secrets))
    await aws.secrets.send(new PutSecretValueCommand({ SecretId: `bluemoxon-${env}/${name}`, SecretString: values[name] }));
};

const tfVars = (env: "staging" | "prod") => ({
  TF_VAR_vpc_subnet_ids: JSON.stringify(subnets[env]),
  TF_VAR_database_secret_arn: externalDb[env],
  TF_VAR_database_host: `aurora.${env}.internal`,
  TF_VAR_alarm_email: "ops@example.com",
  // Staging's Aurora is not applied on moto (its RDS does not model managed master passwords): an
  // external database secret stands in, as prod's does.
  ...(env === "staging" ? { TF_VAR_enable_database: "false", TF_VAR_use_existing_database_credentials: "true" } : {}),
});

/** deploy-staging's steps for one release (plan → preflight of the plan → apply the saved plan → smoke → record). */
async function deployStaging(sha: string, release: Record<string, string>) {
  const cwd = (tf as Terraform).envDir("staging");
  const env = {
    ...recorder?.env(),
    ...tfVars("staging"),
    ...Object.fromEntries(images.map((i) => [`TF_VAR_${i}_image`, `${host}/bluemoxon-staging-${i}@${release[i]}`])),
  };
  await (tf as Terraform).run(["plan", "-input=false", "-no-color", "-lock-timeout=1m", "-out=staging.tfplan"], {
    cwd,
    env,
    timeoutMs: 480_000,
  });
  const plan = JSON.parse((await (tf as Terraform).run(["show", "-json", "staging.tfplan"], { cwd, env })).stdout);
  expect(await preflight({ env: "staging", manifest, region, endpoint, plan, environment: {} })).toEqual([]);
  await (tf as Terraform).run(["apply", "-input=false", "-no-color", "-lock-timeout=1m", "staging.tfplan"], {
    cwd,
    env,
    timeoutMs: 480_000,
  });
  // go-live: the new API version would migrate here (moto cannot run the image, see the header),
  // then the live aliases move to the versions the apply published.
  const published = parsePublished((await (tf as Terraform).run(["output", "-json", "published_versions"], { cwd, env })).stdout);
  await goLive({ env: "staging", manifest, region, endpoint, published, skipMigrate: true, log: () => {} });
  const lines: string[] = [];
  const ok = await smokeApi({ api: urls.staging, secretId: "bluemoxon-staging/api-key", region, endpoint, log: (l) => lines.push(l) });
  expect(ok, lines.join("\n")).toBe(true);
  await writeRelease({
    env: "staging",
    manifest,
    region,
    endpoint,
    sha,
    images: Object.fromEntries(images.map((i) => [i, `${host}/bluemoxon-staging-${i}@${release[i]}`])),
  });
  recorder?.collect("staging-deploy", "deploy-staging");
}

/** `node scripts/promote.mjs staging prod` as promote.yml runs it, against this world. */
function promote(env: Record<string, string> = {}, ...extra: string[]) {
  const args = [
    resolve(repoRoot, "scripts/promote.mjs"),
    "staging",
    "prod",
    `--from-endpoint=${endpoint}`,
    `--to-endpoint=${endpoint}`,
    `--from-api=${urls.staging}`,
    `--to-api=${urls.prod}`,
    `--to-terraform-dir=${(tf as Terraform).envDir("prod")}`,
    "--to-backend-config=none",
    `--to-registry=${host}`,
    "--registry-insecure",
    "--require-input=TF_VAR_database_host=set the repository variable PROD_DATABASE_HOST",
    "--require-input=TF_VAR_database_secret_arn=set the repository variable PROD_DATABASE_SECRET_ARN",
    `--database-secret=${externalDb.prod}`,
    "--skip-migrate",
    "--skip-worker-smoke",
    ...extra,
  ];
  return new Promise<{ code: number; output: string }>((ok) => {
    const done = (result: { code: number; output: string }) => {
      recorder?.collect("prod-promote", "promote");
      ok(result);
    };
    execFile(
      process.execPath,
      args,
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: "test",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_REGION: region,
          AWS_DEFAULT_REGION: region,
          FORCE_COLOR: "0",
          TF_CLI_CONFIG_FILE: join((tf as Terraform).root, "cli.tfrc"),
          ...recorder?.env(),
          ...tfVars("prod"),
          ...env,
        },
        timeout: 900_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** What prod's functions run behind `live`, and whether each takes traffic. */
async function prodState() {
  const out: Record<string, { image: string; version?: string; reserved?: number }> = {};
  for (const fn of fnNames("prod")) out[fn] = { image: await liveImage(fn), version: await liveVersion(fn), reserved: await reserved(fn) };
  return out;
}

beforeAll(async () => {
  const prepared = await prepareTerraform();
  if (!prepared.ok) {
    skipReason = prepared.reason;
    return console.log(`first-deploy rehearsal skipped: ${skipReason}`);
  }
  tf = prepared;
  registry = await startRegistry();
  if (!registry.ok) {
    skipReason = registry.reason;
    return console.log(`first-deploy rehearsal skipped: ${skipReason}`);
  }
  host = registry.host;
  moto = await startMoto({ env: { MOTO_IAM_LOAD_MANAGED_POLICIES: "true" } });
  if (!moto.ok) {
    skipReason = moto.reason;
    return console.log(`first-deploy rehearsal skipped: ${skipReason}`);
  }
  endpoint = moto.endpoint;
  recorder = await callRecorder();
  // The deploy steps this file runs in-process (preflight, smoke, release record) use the SDK's
  // default chain, and log their calls into the recorder (deploy-staging's role).
  for (const [k, v] of Object.entries({
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    [callLogVariable]: recorder.env()[callLogVariable],
  })) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  const config = { endpoint, region, credentials };
  aws = {
    ec2: new EC2Client(config),
    ecr: new ECRClient(config),
    iam: new IAMClient(config),
    lambda: new LambdaClient(config),
    secrets: new SecretsManagerClient(config),
    ssm: new SSMClient(config),
  };
  subnets.staging = await buildVpc(10);
  subnets.prod = await buildVpc(20);
  // The databases are not Terraform's to make here (moto's RDS, see tfVars): their credentials exist.
  const db = async (env: string) =>
    (
      await aws.secrets.send(
        new CreateSecretCommand({ Name: `external/${env}-aurora`, SecretString: JSON.stringify({ username: "u", password: "p" }) }),
      )
    ).ARN as string;
  externalDb = { staging: await db("staging"), prod: await db("prod") };
  for (const env of ["staging", "prod"] as const) await writeFile(join(tf.envDir(env), "moto_override.tf"), motoOverride(endpoint));
  await writeFile(join(tf.root, "terraform/bootstrap/moto_override.tf"), motoOverride(endpoint));
  for (const release of ["a", "b"] as const)
    for (const image of images)
      digests[release][image] = await pushTestImage(
        `${host}/bluemoxon-staging-${image}`,
        `${shaA.slice(0, 7)}-${release}`,
        `${image} ${release}`,
      );
  urls.staging = await listen(apis.staging.server);
  urls.prod = await listen(apis.prod.server);
}, 600_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  apis.staging.server.close();
  apis.prod.server.close();
  if (aws) for (const c of Object.values(aws)) c.destroy();
  await Promise.all([moto?.ok && moto.stop(), registry?.ok && registry.stop()]);
  await tf?.cleanup();
  await recorder?.cleanup();
});

describe.sequential("first deploy on a fresh account (rehearsal)", () => {
  it("bootstrap first: image repositories, secret containers without values, deploy and promote roles", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const cwd = join(tf.root, "terraform/bootstrap");
    await tf.run(["init", "-no-color"], { cwd });
    await tf.run(["apply", "-auto-approve", "-no-color", "-var", "github_repository=bluemoxon/image-pipeline"], {
      cwd,
      timeoutMs: 480_000,
    });
    const repos = await aws.ecr.send(new DescribeRepositoriesCommand({}));
    expect(repos.repositories?.map((r) => r.repositoryName).sort()).toEqual(
      ["staging", "prod"].flatMap((e) => images.map((i) => `bluemoxon-${e}-${i}`)).sort(),
    );
    for (const env of ["staging", "prod"])
      for (const name of Object.keys(manifest.secrets)) {
        const described = await aws.secrets.send(new DescribeSecretCommand({ SecretId: `bluemoxon-${env}/${name}` }));
        const stages = Object.values(described.VersionIdsToStages ?? {}).flat();
        expect(stages, `${env}/${name} is created empty`).not.toContain("AWSCURRENT");
      }
    for (const role of ["bluemoxon-staging-deploy", "bluemoxon-prod-promote"]) {
      expect((await aws.iam.send(new GetRoleCommand({ RoleName: role }))).Role?.RoleName).toBe(role);
      expect((await aws.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames).toEqual([role]);
    }
  }, 600_000);

  it("deploy-staging refuses before any apply while staging's secrets hold no value, naming each", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const problems = await preflight({ env: "staging", manifest, region, endpoint, environment: {} });
    for (const name of Object.keys(manifest.secrets))
      expect(problems.join("\n")).toContain(`secret bluemoxon-staging/${name} has no AWSCURRENT value — put it:`);
    for (const fn of fnNames("staging")) expect(await functionExists(fn), fn).toBe(false);
    recorder?.collect("staging-deploy", "deploy-staging");
  }, 120_000);

  it("deploys staging in its VPC: saved plan applied, functions behind their security group and endpoints, smoke-tested, release recorded", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    await putSecrets("staging");
    const cwd = tf.envDir("staging");
    await tf.run(["init", "-no-color"], { cwd });
    await deployStaging(shaA, digests.a);

    const sgId = (await tf.run(["output", "-raw", "function_security_group_id"], { cwd })).stdout.trim();
    const groups = await aws.ec2.send(new DescribeSecurityGroupsCommand({}));
    const names = groups.SecurityGroups?.map((g) => g.GroupName) ?? [];
    expect(names).toEqual(expect.arrayContaining(["bluemoxon-staging-functions", "bluemoxon-staging-endpoints"]));
    for (const fn of fnNames("staging")) {
      const got = await aws.lambda.send(new GetFunctionCommand({ FunctionName: fn, Qualifier: "live" }));
      expect(digestOf(got.Code?.ImageUri ?? ""), fn).toBe(digests.a[imageOf(fn)]);
      expect(got.Configuration?.VpcConfig?.SubnetIds?.sort(), fn).toEqual([...subnets.staging].sort());
      expect(got.Configuration?.VpcConfig?.SecurityGroupIds, fn).toContain(sgId);
    }
    const endpoints = (await aws.ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints ?? [];
    expect(endpoints.map((e) => `${e.ServiceName} ${e.VpcEndpointType}`).sort()).toEqual([
      `com.amazonaws.${region}.s3 Gateway`,
      `com.amazonaws.${region}.secretsmanager Interface`,
      `com.amazonaws.${region}.sqs Interface`,
    ]);
    const record = await readRelease({ env: "staging", manifest, region, endpoint });
    expect(record?.sha).toBe(shaA);
  }, 900_000);

  it("promote refuses before copying or applying anything while prod's secrets hold no value: nothing of prod exists", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const run = await promote();
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("prod is not ready; nothing was copied or applied");
    expect(run.output).toContain("secret bluemoxon-prod/api-key has no AWSCURRENT value");
    expect(run.output).not.toMatch(/copy the images|terraform plan/);
    for (const fn of fnNames("prod")) expect(await functionExists(fn), fn).toBe(false);
    for (const image of images) expect((await servesImage(`${host}/bluemoxon-prod-${image}`, digests.a[image])).manifest).toBe(false);
  }, 600_000);

  it("promote refuses a required input that is empty (PROD_DATABASE_HOST unset), before anything", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    await putSecrets("prod");
    const run = await promote({ TF_VAR_database_host: "" });
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("TF_VAR_database_host is empty — set the repository variable PROD_DATABASE_HOST");
    expect(run.output).not.toContain("secret bluemoxon-prod/");
    for (const fn of fnNames("prod")) expect(await functionExists(fn), fn).toBe(false);
  }, 600_000);

  it("the first-ever promotion failing its smoke test leaves prod with no version taking traffic (reserved concurrency 0)", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    apis.prod.state.failDeep = "always";
    try {
      const run = await promote();
      expect(run.code, run.output).toBe(1);
      expect(run.output).toContain("Terraform will perform the following actions");
      expect(run.output).toContain("FAILED on prod's first promotion: no previous version to roll back to");
      const state = await prodState();
      for (const fn of fnNames("prod")) {
        expect(state[fn].reserved, fn).toBe(0);
        expect(digestOf(state[fn].image), fn).toBe(digests.a[imageOf(fn)]);
      }
    } finally {
      apis.prod.state.failDeep = false;
    }
  }, 900_000);

  it("the next promotion after that failed first one lifts the stop before it migrates and smoke-tests, and goes live: prod runs the digests that passed staging, traffic on", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const run = await promote();
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/lift the stop of prod's failed first promotion[\s\S]*migrate prod[\s\S]*smoke test prod/);
    expect(run.output).toContain(`promoted (release ${shaA} recorded in /bluemoxon-prod/release)`);
    const state = await prodState();
    for (const fn of fnNames("prod")) {
      const staging = await liveImage(fn.replace("bluemoxon-prod-", "bluemoxon-staging-"));
      expect(digestOf(state[fn].image), fn).toBe(digestOf(staging));
      expect(state[fn].image, fn).toBe(`${host}/bluemoxon-prod-${imageOf(fn)}@${digestOf(staging)}`);
      expect(state[fn].reserved, `${fn} takes traffic again`).toBeUndefined();
    }
    for (const image of images)
      expect(await servesImage(`${host}/bluemoxon-prod-${image}`, digests.a[image])).toEqual({ manifest: true, blobs: true });
    const record = JSON.parse(
      (await aws.ssm.send(new GetParameterCommand({ Name: "/bluemoxon-prod/release" }))).Parameter?.Value ?? "{}",
    ) as { sha: string };
    expect(record.sha).toBe(shaA);
  }, 900_000);

  it("a held state lock: promote waits for it, then fails without changing or rolling back anything", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    await deployStaging(shaB, digests.b);
    const before = await prodState();
    // Another apply holds prod's state: the local backend's lock is a POSIX lock on the state file,
    // described by the lock info file beside it (as terraform writes them).
    const lockInfo = join(tf.envDir("prod"), ".terraform.tfstate.lock.info");
    await writeFile(
      lockInfo,
      JSON.stringify({
        ID: "5a1e0000-0000-4000-8000-000000000001",
        Operation: "OperationTypeApply",
        Info: "",
        Who: "rehearsal@another-apply",
        Version: "1.11.4",
        Created: new Date().toISOString(),
        Path: "terraform.tfstate",
      }),
    );
    const holder = spawn(
      "python3",
      [
        "-c",
        "import fcntl,sys\nf=open(sys.argv[1],'r+')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\nsys.stdin.read()",
        join(tf.envDir("prod"), "terraform.tfstate"),
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((ok, fail) => {
        holder.stdout?.once("data", () => ok());
        holder.once("exit", (code) => fail(new Error(`the lock holder exited (${code})`)));
      });
      const run = await promote({}, "--lock-timeout=5s");
      expect(run.code, run.output).toBe(1);
      expect(run.output).toContain("Error acquiring the state lock");
      expect(run.output).toMatch(/Who:\s+rehearsal@another-apply/);
      // It waited for the lock (-lock-timeout=5s) before giving up: the step took at least that long.
      const waited = /✘ apply prod with those digests \(the saved plan\)\s+([\d.]+) s/.exec(run.output);
      expect(Number(waited?.[1]), run.output).toBeGreaterThanOrEqual(5);
      expect(run.output).toContain("prod runs what it ran before; nothing to roll back");
      expect(run.output).not.toContain("rolling back");
      expect(await prodState()).toEqual(before);
    } finally {
      holder.stdin?.end();
      await rm(lockInfo, { force: true });
    }
  }, 900_000);

  it("a later release failing prod's smoke test: the live aliases move back, and the rollback is smoke-tested", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const before = await prodState();
    apis.prod.state.failDeep = "new-version";
    try {
      const run = await promote();
      expect(run.code, run.output).toBe(1);
      expect(run.output).toMatch(/health\/deep.*status 503/);
      expect(run.output).toContain("prod rolled back to the previous versions (smoke test passed)");
      expect(run.output).toMatch(/✔ smoke test prod after the rollback/);
      expect(await prodState()).toEqual(before);
      // The failed release stays published but takes no traffic: $LATEST has it, `live` does not.
      expect(digestOf(await liveImage("bluemoxon-prod-api", "$LATEST"))).toBe(digests.b.api);
    } finally {
      apis.prod.state.failDeep = false;
    }
  }, 900_000);

  it("every AWS call of this rehearsal is in tests/iam/recorded-calls.json (what the permission proof evaluates)", async (ctx) => {
    if (skipReason || !recorder) return ctx.skip(skipReason);
    const calls = recorder.calls();
    expect(calls.length).toBeGreaterThan(0);
    if (process.env.UPDATE_RECORDED_CALLS) {
      const recording: Recording = {
        about:
          "AWS calls of the first-deploy rehearsal by CI role (tests/iam/call-recorder.ts); regenerate: UPDATE_RECORDED_CALLS=1 npx vitest run tests/deploy/first-deploy-rehearsal.test.ts",
        calls: calls.sort((a, b) => operationKey(a).localeCompare(operationKey(b))),
      };
      await writeFile(recordingPath, `${JSON.stringify(recording, null, 2)}\n`);
    }
    const committed = new Set(loadRecording().calls.map(operationKey));
    const missing = [...new Set(calls.map(operationKey))].filter((k) => !committed.has(k));
    expect(missing, `calls not in ${recordingPath}: re-run with UPDATE_RECORDED_CALLS=1`).toEqual([]);
    expect(JSON.parse(await readFile(recordingPath, "utf8")).calls.length).toBeGreaterThan(0);
  }, 60_000);
});
