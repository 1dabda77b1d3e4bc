/**
 * Functions in a VPC: the plan builds a Lambda security group, a database group that admits 5432
 * from it only, an S3 gateway endpoint and Secrets Manager + SQS interface endpoints — and refuses
 * to plan, naming the subnet, when a function subnet has no 0.0.0.0/0 route to a NAT gateway or a
 * transit gateway (the API calls eBay), when the VPC lacks DNS support or DNS hostnames (the
 * endpoints' private DNS), or when the database's subnets are all in one availability zone. Planned against moto's EC2 with a VPC built by the test; staging's Aurora is
 * planned, not applied (moto's RDS does not model managed master passwords).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateTransitGatewayCommand,
  CreateVpcCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from "@aws-sdk/client-ec2";
import { CreateRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { loadManifest } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "../support/moto.ts";
import { motoOverride, prepareTerraform, type Terraform } from "./terraform-cli.ts";

const manifest = loadManifest();
const fakeDigest = (c: string) => `sha256:${c.repeat(64)}`;

interface Change {
  address: string;
  type: string;
  change: { actions: string[]; after: Record<string, unknown>; after_unknown: Record<string, unknown> };
}

let tf: Terraform | undefined;
let moto: MotoServer | undefined;
let skipReason = "";
let cwd = "";
const net = { vpc: "", a: "", b: "", noNat: "", privateRt: "", publicRt: "", viaTgw: "", a2: "", tgwRt: "", noDnsVpc: "", noDns: "" };

function planArgs(subnets: string[]) {
  return [
    "plan",
    "-no-color",
    "-out=tfplan",
    "-var",
    "enable_database=true",
    "-var",
    `vpc_subnet_ids=${JSON.stringify(subnets)}`,
    "-var",
    "alarm_email=ops@example.com",
    ...["api", "worker"].flatMap((i) => [
      "-var",
      `${i}_image=123456789012.dkr.ecr.us-east-1.amazonaws.com/bluemoxon-staging-${i}@${fakeDigest("c")}`,
    ]),
  ];
}

beforeAll(async () => {
  const prepared = await prepareTerraform();
  if (!prepared.ok) {
    skipReason = prepared.reason;
    return console.log(`network tests skipped: ${skipReason}`);
  }
  tf = prepared;
  moto = await startMoto();
  if (!moto.ok) {
    skipReason = moto.reason;
    return console.log(`network tests skipped: ${skipReason}`);
  }
  // A VPC as a fresh account would have it: two private subnets behind a NAT gateway, one public
  // subnet (internet gateway, no NAT) that a function must not be put in.
  const config = { endpoint: moto.endpoint, region: manifest.region, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  const ec2 = new EC2Client(config);
  const ecr = new ECRClient(config);
  const secrets = new SecretsManagerClient(config);
  try {
    net.vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc?.VpcId ?? "";
    // Private DNS of interface endpoints needs both (new VPCs have DNS hostnames off).
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: net.vpc, EnableDnsHostnames: { Value: true } }));
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: net.vpc, EnableDnsSupport: { Value: true } }));
    const subnet = async (cidr: string, az: string) =>
      (await ec2.send(new CreateSubnetCommand({ VpcId: net.vpc, CidrBlock: cidr, AvailabilityZone: az }))).Subnet?.SubnetId ?? "";
    net.a = await subnet("10.0.1.0/24", "us-east-1a");
    net.b = await subnet("10.0.2.0/24", "us-east-1b");
    net.noNat = await subnet("10.0.3.0/24", "us-east-1a");
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: net.vpc }));
    const eip = (await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }))).AllocationId;
    const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: net.noNat, AllocationId: eip }))).NatGateway?.NatGatewayId;
    net.privateRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpc }))).RouteTable?.RouteTableId ?? "";
    await ec2.send(new CreateRouteCommand({ RouteTableId: net.privateRt, DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: nat }));
    net.publicRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpc }))).RouteTable?.RouteTableId ?? "";
    await ec2.send(new CreateRouteCommand({ RouteTableId: net.publicRt, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw }));
    for (const s of [net.a, net.b]) await ec2.send(new AssociateRouteTableCommand({ RouteTableId: net.privateRt, SubnetId: s }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: net.publicRt, SubnetId: net.noNat }));
    // A subnet whose egress goes through a transit gateway (a hub account's NAT), and one more
    // NAT-routed subnet in us-east-1a (with net.a: one availability zone only).
    net.viaTgw = await subnet("10.0.4.0/24", "us-east-1b");
    net.a2 = await subnet("10.0.5.0/24", "us-east-1a");
    const tgw = (await ec2.send(new CreateTransitGatewayCommand({}))).TransitGateway?.TransitGatewayId;
    net.tgwRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpc }))).RouteTable?.RouteTableId ?? "";
    await ec2.send(new CreateRouteCommand({ RouteTableId: net.tgwRt, DestinationCidrBlock: "0.0.0.0/0", TransitGatewayId: tgw }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: net.tgwRt, SubnetId: net.viaTgw }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: net.privateRt, SubnetId: net.a2 }));
    // A VPC as created, DNS hostnames off, with a NAT-routed subnet.
    net.noDnsVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.1.0.0/16" }))).Vpc?.VpcId ?? "";
    net.noDns =
      (await ec2.send(new CreateSubnetCommand({ VpcId: net.noDnsVpc, CidrBlock: "10.1.1.0/24", AvailabilityZone: "us-east-1a" }))).Subnet
        ?.SubnetId ?? "";
    const noDnsRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: net.noDnsVpc }))).RouteTable?.RouteTableId ?? "";
    await ec2.send(new CreateRouteCommand({ RouteTableId: noDnsRt, DestinationCidrBlock: "0.0.0.0/0", TransitGatewayId: tgw }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: noDnsRt, SubnetId: net.noDns }));

    // What terraform/bootstrap would have made: the environment's plan reads these.
    for (const image of Object.keys(manifest.images))
      await ecr.send(new CreateRepositoryCommand({ repositoryName: `bluemoxon-staging-${image}` }));
    for (const secret of Object.keys(manifest.secrets))
      await secrets.send(new CreateSecretCommand({ Name: `bluemoxon-staging/${secret}` }));
  } finally {
    for (const c of [ec2, ecr, secrets]) c.destroy();
  }

  cwd = tf.envDir("staging");
  await writeFile(join(cwd, "moto_override.tf"), motoOverride(moto.endpoint));
  await tf.run(["init", "-no-color"], { cwd });
}, 600_000);

afterAll(async () => {
  if (moto?.ok) await moto.stop();
  await tf?.cleanup();
});

describe("terraform staging in a VPC", () => {
  it("plans the security groups and endpoints the functions need, Postgres open to the functions only", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    await tf.run(planArgs([net.a, net.b]), { cwd, timeoutMs: 240_000 });
    const plan = JSON.parse((await tf.run(["show", "-json", "tfplan"], { cwd })).stdout) as { resource_changes: Change[] };
    const of = (type: string) => plan.resource_changes.filter((c) => c.type === type && c.change.actions.includes("create"));
    const byAddress = (suffix: string) => plan.resource_changes.find((c) => c.address.endsWith(suffix));

    expect(
      of("aws_security_group")
        .map((c) => c.change.after.name)
        .sort(),
    ).toEqual(["bluemoxon-staging-database", "bluemoxon-staging-endpoints", "bluemoxon-staging-functions"]);
    const ingress = of("aws_vpc_security_group_ingress_rule");
    const toDb = ingress.filter((c) => c.address.includes("database_from_lambda"));
    expect(toDb).toHaveLength(1);
    expect(toDb[0].change.after).toMatchObject({ ip_protocol: "tcp", from_port: 5432, to_port: 5432 });
    expect(toDb[0].change.after.cidr_ipv4 ?? null).toBeNull();
    expect(toDb[0].change.after_unknown.referenced_security_group_id).toBe(true);
    // No other rule admits anything into the database's group.
    expect(ingress.filter((c) => !c.address.includes("database_from_lambda") && !c.address.includes("endpoints_from_lambda"))).toEqual([]);

    const endpoints = of("aws_vpc_endpoint").map((c) => c.change.after);
    expect(endpoints.map((e) => `${e.service_name} ${e.vpc_endpoint_type}`).sort()).toEqual([
      "com.amazonaws.us-east-1.s3 Gateway",
      "com.amazonaws.us-east-1.secretsmanager Interface",
      "com.amazonaws.us-east-1.sqs Interface",
    ]);
    expect(endpoints.find((e) => e.vpc_endpoint_type === "Gateway")?.route_table_ids).toEqual([net.privateRt]);
    for (const e of endpoints.filter((e) => e.vpc_endpoint_type === "Interface")) {
      expect(e.private_dns_enabled).toBe(true);
      expect((e.subnet_ids as string[]).sort()).toEqual([net.a, net.b].sort());
    }

    for (const fn of of("aws_lambda_function")) {
      const vpc = (fn.change.after.vpc_config as { subnet_ids: string[] }[])[0];
      expect(vpc.subnet_ids.sort(), fn.address).toEqual([net.a, net.b].sort());
      // The security group is the module's own (created by this apply, so unknown at plan time).
      const groups = (fn.change.after_unknown.vpc_config as { security_group_ids: boolean | boolean[] }[])[0].security_group_ids;
      expect([true, [true]], fn.address).toContainEqual(groups);
    }

    const cluster = byAddress("aws_rds_cluster.this[0]");
    expect(cluster?.change.after.engine_version).toBe("16.6");
    expect(cluster?.change.after.allow_major_version_upgrade).toBe(false);
    // Not a fixed name: a second destroy of a rebuilt staging must not collide with the first's snapshot.
    expect(cluster?.change.after_unknown.final_snapshot_identifier).toBe(true);
    expect([true, [true]]).toContainEqual(cluster?.change.after_unknown.vpc_security_group_ids);
  }, 300_000);

  it("plans alarms that notify someone: DLQ depth, oldest message, Lambda errors and throttles, API 5xx → the SNS topic", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const plan = JSON.parse((await tf.run(["show", "-json", "tfplan"], { cwd })).stdout) as { resource_changes: Change[] };
    const of = (type: string) => plan.resource_changes.filter((c) => c.type === type && c.change.actions.includes("create"));
    expect(of("aws_sns_topic").map((c) => c.change.after.name)).toEqual(["bluemoxon-staging-alarms"]);
    expect(of("aws_sns_topic_subscription").map((c) => c.change.after)).toMatchObject([{ protocol: "email", endpoint: "ops@example.com" }]);
    const alarms = of("aws_cloudwatch_metric_alarm");
    const metrics = alarms
      .map((a) => `${a.change.after.namespace} ${a.change.after.metric_name} ${JSON.stringify(a.change.after.dimensions ?? "(unknown)")}`)
      .sort();
    const functions = ["bluemoxon-staging-api", ...Object.keys(manifest.functions).map((f) => `bluemoxon-staging-${f}`)];
    for (const fn of functions)
      for (const metric of ["Errors", "Throttles"])
        expect(metrics).toContain(`AWS/Lambda ${metric} ${JSON.stringify({ FunctionName: fn })}`);
    for (const q of Object.keys(manifest.queues)) {
      expect(metrics).toContain(
        `AWS/SQS ApproximateNumberOfMessagesVisible ${JSON.stringify({ QueueName: `bluemoxon-staging-${q}-dlq` })}`,
      );
      expect(metrics).toContain(`AWS/SQS ApproximateAgeOfOldestMessage ${JSON.stringify({ QueueName: `bluemoxon-staging-${q}` })}`);
    }
    expect(alarms.filter((a) => a.change.after.metric_name === "5xx").map((a) => a.change.after.namespace)).toEqual(["AWS/ApiGateway"]);
    // Every alarm notifies the topic (created by the same apply, so its ARN is unknown at plan time).
    for (const a of alarms) expect(a.change.after_unknown.alarm_actions, a.address).toBeTruthy();
  }, 120_000);

  it("refuses to plan when a function subnet has no route to a NAT gateway, naming the subnet", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const error = await tf.run(planArgs([net.a, net.noNat]), { cwd, timeoutMs: 240_000 }).then(
      () => undefined,
      (e: Error) => e,
    );
    // Terraform wraps long diagnostics; compare with the line breaks folded.
    const message = (error?.message ?? "planned without error").replace(/\s+/g, " ");
    expect(message).toContain(`Subnet ${net.noNat} (route table ${net.publicRt}) has no 0.0.0.0/0 route to a NAT gateway`);
    expect(message).not.toContain(`Subnet ${net.a} `);
  }, 300_000);

  const planError = async (subnets: string[], extra: string[] = []) => {
    const error = await tf?.run([...planArgs(subnets), ...extra], { cwd, timeoutMs: 240_000 }).then(
      () => undefined,
      (e: Error) => e,
    );
    return (error?.message ?? "planned without error").replace(/\s+/g, " ");
  };

  it("accepts a subnet whose egress goes through a transit gateway", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    expect(await planError([net.a, net.viaTgw])).toBe("planned without error");
  }, 300_000);

  it("refuses a VPC without DNS hostnames (private DNS of the endpoints), naming it and the fix", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const message = await planError([net.noDns], ["-var", "enable_database=false"]);
    expect(message).toContain(`VPC ${net.noDnsVpc} has DNS support on and DNS hostnames off`);
    expect(message).toContain("modify-vpc-attribute");
  }, 300_000);

  it("refuses the database in subnets of one availability zone", async (ctx) => {
    if (skipReason || !tf) return ctx.skip(skipReason);
    const message = await planError([net.a, net.a2]);
    expect(message).toContain("enable_database needs vpc_subnet_ids in at least two availability zones");
  }, 300_000);
});
