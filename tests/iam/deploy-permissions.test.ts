/**
 * The permission proof of the deploy path: every AWS call the first-deploy rehearsal makes
 * (tests/iam/recorded-calls.json: Terraform's and the deploy scripts', each under the CI role that
 * makes it) and every call it cannot make on moto (declared-calls.ts) is turned into IAM
 * authorizations — the operation's actions, its resource ARNs, its request context and its
 * dependent actions (aws-operations.ts) — and evaluated with @cloud-copilot/iam-simulate against
 * the roles' policies as terraform/bootstrap renders them (applied on moto, read back from IAM).
 * Any deny fails, naming the call, the action and the resource. Then what must be denied, with the
 * same evaluator: the other environment's resources, the roles' own policies, policies outside the
 * allow-list, roles without the permissions boundary, the other environment's secrets.
 *
 * Why a committed recording: the rehearsal takes many minutes (two motos, a registry, eight
 * terraform runs); the proof runs in well under a minute on it. The rehearsal's last case fails
 * when it makes a call that is not in the recording, and the completeness case here fails when a
 * resource type of the environments' Terraform or an SDK command of scripts/deploy has no call in
 * it — so a stale recording is caught by either side.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadManifest, repoRoot, resourceNames, servicePolicy } from "@bluemoxon/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type Authorization, authorizations, type Call, operationOf, type Where } from "./aws-operations.ts";
import type { Rendered, RenderedRole } from "./bootstrap-policies.ts";
import { renderBootstrap } from "./bootstrap-policies.ts";
import { type CiRole, loadRecording, type RecordedCall } from "./call-recorder.ts";
import { declaredCalls } from "./declared-calls.ts";
import { type Decision, evaluate } from "./evaluate.ts";

const manifest = loadManifest();
const prefixes = { staging: manifest.environments.staging.prefix, prod: manifest.environments.prod.prefix };
const roleEnv: Record<CiRole, "staging" | "prod"> = { "staging-deploy": "staging", "prod-promote": "prod" };
const roleNames: Record<CiRole, string> = { "staging-deploy": "bluemoxon-staging-deploy", "prod-promote": "bluemoxon-prod-promote" };
const other = (env: "staging" | "prod") => (env === "staging" ? "prod" : "staging");
const recording = loadRecording();

interface Subject {
  role: CiRole;
  step: string;
  call: Call;
  source: string;
}
const subjects: Subject[] = [
  ...recording.calls.map((c: RecordedCall) => ({ role: c.role, step: c.step, call: c as Call, source: `recorded ×${c.count}` })),
  ...declaredCalls.map((d) => ({ role: d.role, step: d.step, call: d.call, source: `declared: ${d.why}` })),
];

// Role name → boundary it was created with, from the recorded CreateRole calls.
const roleBoundaries: Record<string, string> = {};
for (const s of subjects)
  if (operationOf(s.call) === "iam:CreateRole" && typeof s.call.input.PermissionsBoundary === "string")
    roleBoundaries[String(s.call.input.RoleName)] = s.call.input.PermissionsBoundary;

// The external database secrets the rehearsal gives each environment (TF_VAR_database_secret_arn,
// promote's --database-secret): a deploy input, as PROD_DATABASE_SECRET_ARN is in CI.
const externalSecrets = (env: "staging" | "prod") => [
  ...new Set(
    subjects
      .filter((s) => roleEnv[s.role] === env)
      .flatMap((s) => [s.call.input.SecretId, s.call.input.arn].filter((v) => typeof v === "string" && /:secret:external\//.test(v)))
      .map(String),
  ),
];

let rendered: Rendered | undefined;
let skipReason = "";
let account = "123456789012";
const where = (role: CiRole, env = roleEnv[role]): Where => ({
  account,
  region: manifest.region,
  partition: "aws",
  env,
  prefixes,
  roleBoundaries,
});

const describeCall = (s: Subject) => {
  const c = s.call;
  const what =
    c.via === "sdk" ? `${c.client}.${c.command}` : `terraform ${c.service} ${c.operation}${c.resourceType ? ` (${c.resourceType})` : ""}`;
  return `${s.role} [${s.step}] ${what}`;
};

async function decide(role: CiRole, auth: Authorization): Promise<Decision> {
  return evaluate(auth, (rendered as Rendered).roles[role] as RenderedRole, account);
}

beforeAll(async () => {
  const vars: Record<string, string> = { github_repository: "bluemoxon/image-pipeline" };
  if (readFileSync(join(repoRoot, "terraform/bootstrap/main.tf"), "utf8").includes('variable "external_database_secret_arns"'))
    vars.external_database_secret_arns = JSON.stringify({ staging: externalSecrets("staging"), prod: externalSecrets("prod") });
  const got = await renderBootstrap(vars, roleNames);
  if (!got.ok) {
    skipReason = got.reason;
    return console.log(`permission proof skipped: ${skipReason}`);
  }
  rendered = got;
  account = got.account;
}, 600_000);

describe("the deploy path's AWS calls (recorded by the rehearsal)", () => {
  it("every recorded and declared call has an entry in the operation → IAM table", () => {
    const unmapped = [...new Set(subjects.filter((s) => !operationOfOk(s.call)).map((s) => `${describeCall(s)} → ${operationOf(s.call)}`))];
    expect(unmapped.join("\n"), "add them to tests/iam/aws-operations.ts").toBe("");
  });

  it("the recording is complete: every resource type of the environments' Terraform and every SDK command of scripts/deploy made a call", () => {
    const tfTypes = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith(".tf"))
          for (const m of readFileSync(join(dir, e.name), "utf8").matchAll(/^(?:resource|data) "(aws_[a-z0-9_]+)"/gm)) tfTypes.add(m[1]);
      }
    };
    // Every module but ecr-repository (terraform/bootstrap's, applied by an administrator).
    for (const m of readdirSync(join(repoRoot, "terraform/modules")).filter((m) => m !== "ecr-repository"))
      walk(join(repoRoot, "terraform/modules", m));
    walk(join(repoRoot, "terraform/envs"));
    // No AWS call of their own (rendered locally, or read once at provider configuration), or only with
    // enable_database (declared-calls.ts: moto does not apply Aurora).
    // aws_s3_bucket_versioning: only for a bucket of pipeline.json that asks for versioning (none does).
    const noCall = new Set(["aws_iam_policy_document", "aws_partition", "aws_region", "aws_caller_identity", "aws_s3_bucket_versioning"]);
    const declaredOnly = new Set(["aws_db_subnet_group", "aws_rds_cluster", "aws_rds_cluster_instance"]);
    const recordedTypes = new Set(recording.calls.flatMap((c) => (c.via === "terraform" && c.resourceType ? [c.resourceType] : [])));
    const missingTypes = [...tfTypes].filter((t) => !noCall.has(t) && !declaredOnly.has(t) && !recordedTypes.has(t));
    expect(missingTypes.join("\n"), "resource types with no recorded call: re-record (UPDATE_RECORDED_CALLS=1, the rehearsal)").toBe("");

    const commands = new Set<string>();
    for (const f of readdirSync(join(repoRoot, "scripts/deploy")).filter((f) => f.endsWith(".ts")))
      for (const m of readFileSync(join(repoRoot, "scripts/deploy", f), "utf8").matchAll(/new ([A-Z][A-Za-z]+)Command\(/g))
        commands.add(m[1]);
    const made = new Set(subjects.map((s) => operationOf(s.call)?.split(":")[1]));
    expect(
      [...commands].filter((c) => !made.has(c)),
      "SDK commands of scripts/deploy never recorded nor declared",
    ).toEqual([]);
  });
});

function operationOfOk(c: Call) {
  try {
    authorizations(c, where("staging-deploy"));
    return true;
  } catch {
    return false;
  }
}

describe("permission proof: the deploy roles as terraform/bootstrap renders them", () => {
  it("allows every call of the deploy path for the role that makes it (no AccessDenied on the first real deploy)", async (ctx) => {
    if (!rendered) return ctx.skip(skipReason);
    const denies: string[] = [];
    const actions = new Set<string>();
    const dependents = new Set<string>();
    let evaluated = 0;
    for (const s of subjects) {
      let spec: Authorization[];
      try {
        spec = authorizations(s.call, where(s.role));
      } catch (error) {
        denies.push(`${describeCall(s)}: cannot be evaluated — ${(error as Error).message}`);
        continue;
      }
      for (const auth of spec) {
        actions.add(auth.action);
        if (auth.dependentOf) dependents.add(`${auth.dependentOf} → ${auth.action}`);
        evaluated += 1;
        const decision = await decide(s.role, auth);
        const tolerated = operationOf(s.call) === "iam:GetUser";
        if (decision !== "Allowed" && !tolerated)
          denies.push(
            `${describeCall(s)}: ${auth.action} on ${auth.resource} is ${decision}${auth.dependentOf ? ` (dependent action of ${auth.dependentOf})` : ""} — grant it to ${roleNames[s.role]} in terraform/bootstrap/main.tf`,
          );
      }
    }
    const unique = [...new Set(denies)];
    console.log(
      [
        "| calls recorded (distinct / total) | declared | authorizations evaluated | distinct actions | dependent actions added | denies |",
        "|---|---|---|---|---|---|",
        `| ${recording.calls.length} / ${recording.calls.reduce((a, c) => a + c.count, 0)} | ${declaredCalls.length} | ${evaluated} | ${actions.size} | ${dependents.size} | ${unique.length} |`,
        ...unique.map((d) => `  ✘ ${d}`),
      ].join("\n"),
    );
    expect(unique.join("\n")).toBe("");
  }, 300_000);
});

/** The promote role's reads of staging, by design (docs/deploying.md, promote): everything else of staging is denied. */
const promoteReadsOfStaging = new Set([
  "lambda:GetFunction",
  "lambda:GetAlias",
  "lambda:GetFunctionConcurrency",
  "lambda:InvokeFunction",
  "ssm:GetParameter",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:DescribeImages",
  "secretsmanager:GetSecretValue",
  "secretsmanager:DescribeSecret",
  "s3:GetObject",
]);

/** A call moved to the other environment: every name prefix and the role's environment swapped. */
function transposed(call: Call, from: "staging" | "prod"): Call {
  const to = other(from);
  const swap = (v: string) => v.split(prefixes[from]).join(prefixes[to]).split(`${from}.tfstate`).join(`${to}.tfstate`);
  const input = Object.fromEntries(Object.entries(call.input).map(([k, v]) => [k, typeof v === "string" ? swap(v) : v]));
  const tags =
    call.via === "terraform" && call.tags
      ? Object.fromEntries(Object.entries(call.tags).map(([k, v]) => [k, v === from ? to : v]))
      : undefined;
  return call.via === "terraform" ? { ...call, input, path: swap(call.path), tags } : { ...call, input };
}

describe("must deny (same evaluator, same rendered policies)", () => {
  it("each role on every resource of the other environment, by ARN and by its environment tag", async (ctx) => {
    if (!rendered) return ctx.skip(skipReason);
    const allowed: string[] = [];
    let checked = 0;
    for (const s of subjects) {
      const env = roleEnv[s.role];
      const moved = transposed(s.call, env);
      let auths: Authorization[];
      try {
        auths = authorizations(moved, where(s.role, other(env)));
      } catch (error) {
        allowed.push(`${describeCall(s)}: cannot be evaluated — ${(error as Error).message}`);
        continue;
      }
      // AWS refuses a request when any authorization it needs is refused: the moved call must be
      // refused on one of the other environment's resources (a shared VPC or subnet may be allowed).
      const theirs = auths.filter((auth) => {
        const named = [auth.resource, ...Object.values(auth.context).flat()].some((v) =>
          decodeURIComponent(v).includes(prefixes[other(env)]),
        );
        const tagged = [auth.context["aws:ResourceTag/environment"], auth.context["aws:RequestTag/environment"]].includes(other(env));
        const designed = s.role === "prod-promote" && promoteReadsOfStaging.has(auth.action) && isDesignedStagingRead(auth);
        return (named || tagged) && !designed;
      });
      if (!theirs.length) continue; // shared (the VPC, its subnets), unscoped (Describe*) or promote's designed reads
      checked += 1;
      const decisions = await Promise.all(theirs.map((auth) => decide(s.role, auth)));
      if (decisions.every((d) => d === "Allowed"))
        allowed.push(`${describeCall(s)} moved to ${other(env)}: ${theirs.map((a) => `${a.action} on ${a.resource}`).join(", ")}`);
    }
    expect(checked).toBeGreaterThan(100);
    expect([...new Set(allowed)].join("\n"), "allowed on the other environment: scope these by ARN or aws:ResourceTag/environment").toBe(
      "",
    );
  }, 300_000);

  it("neither role can change itself or the other deploy role (policies, trust, boundary, tags, pass it)", async (ctx) => {
    if (!rendered) return ctx.skip(skipReason);
    const allowed: string[] = [];
    for (const role of Object.keys(roleNames) as CiRole[])
      for (const target of Object.values(roleNames)) {
        const arn = `arn:aws:iam::${account}:role/${target}`;
        const boundary = rendered.roles[role].boundary?.arn;
        for (const action of [
          "iam:PutRolePolicy",
          "iam:AttachRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:DetachRolePolicy",
          "iam:UpdateAssumeRolePolicy",
          "iam:PutRolePermissionsBoundary",
          "iam:DeleteRolePermissionsBoundary",
          "iam:TagRole",
          "iam:UpdateRole",
          "iam:DeleteRole",
          "iam:PassRole",
        ]) {
          const context: Record<string, string> =
            action === "iam:AttachRolePolicy" ? { "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" } : {};
          if (boundary && action !== "iam:PassRole") context["iam:PermissionsBoundary"] = boundary;
          if ((await decide(role, { action, resource: arn, context })) === "Allowed") allowed.push(`${role}: ${action} on ${target}`);
        }
      }
    // Nor rewrite the permissions boundaries themselves.
    for (const role of Object.keys(roleNames) as CiRole[])
      for (const [name, p] of Object.entries(rendered.managed))
        for (const action of ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion"])
          if ((await decide(role, { action, resource: p.arn, context: {} })) === "Allowed") allowed.push(`${role}: ${action} on ${name}`);
    expect(allowed.join("\n")).toBe("");
  }, 120_000);

  it("a role of its environment gets no policy outside the allow-list, and is never created or changed without the permissions boundary", async (ctx) => {
    if (!rendered) return ctx.skip(skipReason);
    const allowed: string[] = [];
    const refused: string[] = [];
    for (const role of Object.keys(roleNames) as CiRole[]) {
      const env = roleEnv[role];
      const boundaryArn = Object.values(rendered.managed).find((m) => m.arn.endsWith(`${prefixes[env]}-boundary`))?.arn;
      const otherBoundary = Object.values(rendered.managed).find((m) => m.arn.endsWith(`${prefixes[other(env)]}-boundary`))?.arn;
      const target = `arn:aws:iam::${account}:role/${prefixes[env]}-api`;
      const cases: [string, Authorization, "deny" | "allow"][] = [
        [
          "admin policy",
          {
            action: "iam:AttachRolePolicy",
            resource: target,
            context: {
              "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
              ...(boundaryArn ? { "iam:PermissionsBoundary": boundaryArn } : {}),
            },
          },
          "deny",
        ],
        [
          "IAM full access",
          {
            action: "iam:AttachRolePolicy",
            resource: target,
            context: {
              "iam:PolicyARN": "arn:aws:iam::aws:policy/IAMFullAccess",
              ...(boundaryArn ? { "iam:PermissionsBoundary": boundaryArn } : {}),
            },
          },
          "deny",
        ],
        [
          "a customer policy",
          {
            action: "iam:AttachRolePolicy",
            resource: target,
            context: {
              "iam:PolicyARN": `arn:aws:iam::${account}:policy/anything`,
              ...(boundaryArn ? { "iam:PermissionsBoundary": boundaryArn } : {}),
            },
          },
          "deny",
        ],
        [
          "VPC access (allow-listed)",
          {
            action: "iam:AttachRolePolicy",
            resource: target,
            context: {
              "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
              ...(boundaryArn ? { "iam:PermissionsBoundary": boundaryArn } : {}),
            },
          },
          "allow",
        ],
        [
          "create without boundary",
          { action: "iam:CreateRole", resource: `arn:aws:iam::${account}:role/${prefixes[env]}-new`, context: {} },
          "deny",
        ],
        [
          "create with the other environment's boundary",
          {
            action: "iam:CreateRole",
            resource: `arn:aws:iam::${account}:role/${prefixes[env]}-new`,
            context: otherBoundary ? { "iam:PermissionsBoundary": otherBoundary } : {},
          },
          "deny",
        ],
        [
          "create with its boundary",
          {
            action: "iam:CreateRole",
            resource: `arn:aws:iam::${account}:role/${prefixes[env]}-new`,
            context: boundaryArn ? { "iam:PermissionsBoundary": boundaryArn } : {},
          },
          "allow",
        ],
        ["inline policy on a role without the boundary", { action: "iam:PutRolePolicy", resource: target, context: {} }, "deny"],
        [
          "remove a role's boundary",
          {
            action: "iam:DeleteRolePermissionsBoundary",
            resource: target,
            context: boundaryArn ? { "iam:PermissionsBoundary": boundaryArn } : {},
          },
          "deny",
        ],
        [
          "pass a role to anything but Lambda",
          { action: "iam:PassRole", resource: target, context: { "iam:PassedToService": "ec2.amazonaws.com" } },
          "deny",
        ],
      ];
      for (const [what, auth, want] of cases) {
        const got = await decide(role, auth);
        if (want === "deny" && got === "Allowed") allowed.push(`${role}: ${what} (${auth.action})`);
        if (want === "allow" && got !== "Allowed") refused.push(`${role}: ${what} (${auth.action}) is ${got}`);
      }
    }
    expect([...allowed, ...refused].join("\n")).toBe("");
  }, 120_000);

  it("neither role reads the other environment's secrets (promote reads only staging's API key, for its smoke test)", async (ctx) => {
    if (!rendered) return ctx.skip(skipReason);
    const allowed: string[] = [];
    for (const role of Object.keys(roleNames) as CiRole[]) {
      const env = other(roleEnv[role]);
      for (const name of Object.keys(manifest.secrets))
        for (const action of ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue"]) {
          if (role === "prod-promote" && name === "api-key" && action !== "secretsmanager:PutSecretValue") continue;
          const resource = `arn:aws:secretsmanager:${manifest.region}:${account}:secret:${prefixes[env]}/${name}-AbCdEf`;
          if ((await decide(role, { action, resource, context: { "aws:ResourceTag/environment": env } })) === "Allowed")
            allowed.push(`${role}: ${action} on ${prefixes[env]}/${name}`);
        }
      // Nor the other environment's database secret (RDS names it rds!cluster-…, tagged with its cluster).
      const rds = `arn:aws:secretsmanager:${manifest.region}:${account}:secret:rds!cluster-0a1b2c3d-AbCdEf`;
      const context = {
        "aws:ResourceTag/aws:rds:primaryDBClusterArn": `arn:aws:rds:${manifest.region}:${account}:cluster:${prefixes[env]}-db`,
      };
      if ((await decide(role, { action: "secretsmanager:GetSecretValue", resource: rds, context })) === "Allowed")
        allowed.push(`${role}: GetSecretValue on ${env}'s rds!cluster secret`);
    }
    expect(allowed.join("\n")).toBe("");
  }, 120_000);

  it("the OIDC trust admits only main's deploys: environment staging/production from this repository, nothing else", (ctx) => {
    if (!rendered) return ctx.skip(skipReason);
    for (const role of Object.keys(roleNames) as CiRole[]) {
      const trust = JSON.stringify(rendered.roles[role].trust);
      // IAM sees only aud and sub of GitHub's token: the repository's subject template
      // (repo, context, ref; docs/deploying.md) puts the branch into sub, so the trust can pin main.
      const subs = rendered.roles[role].trust.Statement.flatMap((st: { Condition?: Record<string, Record<string, string | string[]>> }) =>
        Object.entries(st.Condition ?? {}).flatMap(([, keys]) => [keys["token.actions.githubusercontent.com:sub"] ?? []].flat()),
      );
      const env = role === "staging-deploy" ? "staging" : "production";
      expect(subs, role).toEqual([`repo:bluemoxon/image-pipeline:environment:${env}:ref:refs/heads/main`]);
      expect(trust, role).not.toMatch(/StringLike/);
    }
  });
});

describe("the permissions boundary of the functions' roles (terraform/bootstrap's <prefix>-boundary)", () => {
  it("holds every permission a function role is given (pipeline.json's, its logs, its database secret, VPC interfaces), and none on the other environment", async (ctx) => {
    if (!rendered) return ctx.skip(skipReason);
    const refused: string[] = [];
    const allowed: string[] = [];
    // A concrete resource for a policy's pattern (a secret's random suffix, an object key).
    const concrete = (r: string) => r.replace(/\?{6}$/, "AbCdEf").replace(/\/\*$/, "/originals/1.jpg");
    for (const env of ["staging", "prod"] as const) {
      const boundary = rendered.managed[`${prefixes[env]}-boundary`];
      expect(boundary, `${prefixes[env]}-boundary`).toBeDefined();
      const names = resourceNames(manifest, { environment: env, region: manifest.region, accountId: account });
      const given: Authorization[] = [];
      for (const service of Object.keys(manifest.services))
        for (const st of servicePolicy(manifest, service, names))
          for (const action of st.Action) for (const r of st.Resource) given.push({ action, resource: concrete(r), context: {} });
      const logStream = `arn:aws:logs:${manifest.region}:${account}:log-group:/aws/lambda/${prefixes[env]}-api:log-stream:2026/12/07/x`;
      given.push(
        { action: "logs:CreateLogStream", resource: logStream, context: {} },
        { action: "logs:PutLogEvents", resource: logStream, context: {} },
      );
      for (const action of ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface"])
        given.push({ action, resource: "*", context: {} });
      // The database secret: RDS's own for staging's Aurora (tagged with its cluster), the external one for prod.
      const rdsSecret = `arn:aws:secretsmanager:${manifest.region}:${account}:secret:rds!cluster-0a1b2c3d-AbCdEf`;
      const clusterTag = (e: "staging" | "prod") => ({
        "aws:ResourceTag/aws:rds:primaryDBClusterArn": `arn:aws:rds:${manifest.region}:${account}:cluster:${prefixes[e]}-db`,
      });
      if (env === "staging") given.push({ action: "secretsmanager:GetSecretValue", resource: rdsSecret, context: clusterTag("staging") });
      for (const arn of externalSecrets(env)) given.push({ action: "secretsmanager:GetSecretValue", resource: arn, context: {} });
      // A function role: exactly these permissions, under the boundary.
      const role: RenderedRole = {
        name: `${prefixes[env]}-api`,
        arn: `arn:aws:iam::${account}:role/${prefixes[env]}-api`,
        trust: {},
        policies: [
          {
            name: "given",
            policy: { Version: "2012-10-17", Statement: given.map((g) => ({ Effect: "Allow", Action: g.action, Resource: g.resource })) },
          },
        ],
        boundary: { arn: boundary.arn, policy: boundary.policy },
      };
      for (const g of given) {
        const got = await evaluate(g, role, account);
        if (got !== "Allowed") refused.push(`${env}: ${g.action} on ${g.resource} is ${got} under ${prefixes[env]}-boundary`);
      }
      // The same permissions on the other environment's resources: outside the boundary.
      const theirs = other(env);
      for (const g of given) {
        const moved = { ...g, resource: g.resource.split(prefixes[env]).join(prefixes[theirs]) };
        if (moved.resource === g.resource) continue;
        const wide: RenderedRole = {
          ...role,
          policies: [{ name: "wide", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }],
        };
        if ((await evaluate(moved, wide, account)) === "Allowed") allowed.push(`${env}: ${moved.action} on ${moved.resource}`);
      }
      const otherRds = { action: "secretsmanager:GetSecretValue", resource: rdsSecret, context: clusterTag(theirs) };
      const wide: RenderedRole = {
        ...role,
        policies: [{ name: "wide", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }],
      };
      if ((await evaluate(otherRds, wide, account)) === "Allowed") allowed.push(`${env}: ${theirs}'s rds!cluster secret`);
      // Nor IAM, whatever policy a deploy would put on the role.
      if (
        (await evaluate({ action: "iam:CreateRole", resource: `arn:aws:iam::${account}:role/x`, context: {} }, wide, account)) === "Allowed"
      )
        allowed.push(`${env}: iam:CreateRole`);
    }
    expect([...refused, ...allowed].join("\n")).toBe("");
  }, 120_000);
});

/** A read of staging that promote needs (its release, functions, images, API key, state): by design allowed. */
function isDesignedStagingRead(auth: Authorization) {
  const r = auth.resource;
  return (/:function:bluemoxon-staging-/.test(r) ||
    /parameter\/bluemoxon-staging\/release$/.test(r) ||
    /repository\/bluemoxon-staging-/.test(r) ||
    /secret:bluemoxon-staging\/api-key-/.test(r) ||
    /image-pipeline\/staging\.tfstate$/.test(r)) &&
    !/InvokeFunction/.test(auth.action)
    ? true
    : auth.action === "lambda:InvokeFunction" && /:function:bluemoxon-staging-[a-z-]+:live$/.test(r) && !/-api:/.test(r);
}
