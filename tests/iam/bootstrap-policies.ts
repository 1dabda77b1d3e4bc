/**
 * The deploy roles' policies exactly as terraform/bootstrap renders them: the bootstrap is applied
 * on a fresh moto (real terraform, the provider from the filesystem mirror) and every policy is read
 * back from IAM — inline policies, attached managed policies, the permissions boundary, the trust
 * policy. No hand copy: a change to terraform/bootstrap is what the permission proof evaluates.
 *
 * @example
 * const rendered = await renderBootstrap({ github_repository: "o/r" });
 * if (!rendered.ok) console.log(`skipped: ${rendered.reason}`);
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { startMoto } from "../support/moto.ts";
import { motoOverride, prepareTerraform } from "../terraform/terraform-cli.ts";

// biome-ignore lint/suspicious/noExplicitAny: IAM policy documents are JSON; the evaluator validates them.
export type PolicyDocument = any;

export interface RenderedRole {
  name: string;
  arn: string;
  trust: PolicyDocument;
  policies: { name: string; policy: PolicyDocument }[];
  boundary?: { arn: string; policy: PolicyDocument };
}

export interface Rendered {
  ok: true;
  account: string;
  roles: Record<string, RenderedRole>;
  /** Customer managed policies the bootstrap creates, by name (e.g. the permissions boundaries). */
  managed: Record<string, { arn: string; policy: PolicyDocument }>;
}

const decode = (doc: string | undefined) => JSON.parse(decodeURIComponent(doc ?? "{}"));

async function policyDocument(iam: IAMClient, arn: string) {
  const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
  const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }));
  return decode(version.PolicyVersion?.Document);
}

/** Applies terraform/bootstrap on moto with `vars` and reads the roles `roleNames` back from IAM. */
export async function renderBootstrap(
  vars: Record<string, string>,
  roleNames: Record<string, string>,
): Promise<Rendered | { ok: false; reason: string }> {
  const tf = await prepareTerraform();
  if (!tf.ok) return tf;
  const moto = await startMoto({ env: { MOTO_IAM_LOAD_MANAGED_POLICIES: "true" } });
  if (!moto.ok) {
    await tf.cleanup();
    return moto;
  }
  const iam = new IAMClient({
    endpoint: moto.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  try {
    const cwd = join(tf.root, "terraform/bootstrap");
    await writeFile(join(cwd, "moto_override.tf"), motoOverride(moto.endpoint));
    await tf.run(["init", "-no-color"], { cwd });
    const varArgs = Object.entries(vars).flatMap(([k, v]) => ["-var", `${k}=${v}`]);
    await tf.run(["apply", "-auto-approve", "-no-color", "-input=false", ...varArgs], { cwd, timeoutMs: 480_000 });
    const roles: Record<string, RenderedRole> = {};
    for (const [key, name] of Object.entries(roleNames)) {
      const got = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
      const policies: RenderedRole["policies"] = [];
      for (const p of (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [])
        policies.push({
          name: p,
          policy: decode((await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: p }))).PolicyDocument),
        });
      for (const a of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? [])
        policies.push({ name: a.PolicyName ?? "", policy: await policyDocument(iam, a.PolicyArn ?? "") });
      const boundaryArn = got?.PermissionsBoundary?.PermissionsBoundaryArn;
      roles[key] = {
        name,
        arn: got?.Arn ?? "",
        trust: decode(got?.AssumeRolePolicyDocument),
        policies,
        ...(boundaryArn ? { boundary: { arn: boundaryArn, policy: await policyDocument(iam, boundaryArn) } } : {}),
      };
    }
    const managed: Rendered["managed"] = {};
    for (const p of (await iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies ?? [])
      managed[p.PolicyName ?? ""] = { arn: p.Arn ?? "", policy: await policyDocument(iam, p.Arn ?? "") };
    const account = (roles[Object.keys(roles)[0]]?.arn ?? "").split(":")[4];
    return { ok: true, account, roles, managed };
  } finally {
    iam.destroy();
    await moto.stop();
    await tf.cleanup();
  }
}
