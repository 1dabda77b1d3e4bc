/**
 * Collects the AWS calls a rehearsal makes, tagged with the CI role that makes each in GitHub
 * Actions: Terraform's (from its debug log, terraform-log.ts) and the deploy scripts' (their SDK
 * clients' call log, scripts/deploy/aws-call-log.ts). The result is tests/iam/recorded-calls.json,
 * which the permission proof (deploy-permissions.test.ts) evaluates against the roles' policies.
 *
 * Calls are kept distinct by (role, source, service, operation, identifying input), with a count.
 *
 * @example
 * const rec = await callRecorder();
 * await tf.run(["apply", …], { env: rec.terraformEnv() });   // then rec.collect("staging-deploy", "deploy-staging")
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callLogVariable, type SdkCallRecord } from "../../scripts/deploy/aws-call-log.ts";
import { type TerraformCallRecord, terraformCalls } from "./terraform-log.ts";

/** The CI roles terraform/bootstrap creates (its local.roles keys). */
export type CiRole = "staging-deploy" | "prod-promote";

export type RecordedCall = (TerraformCallRecord | SdkCallRecord) & {
  role: CiRole;
  /** The deploy step that made it (deploy-staging, promote). */
  step: string;
  count: number;
};

export interface Recording {
  /** How this file was made; regenerate with the command it names. */
  about: string;
  calls: RecordedCall[];
}

// Inputs that differ on every run without naming anything else (idempotency tokens).
const volatile =
  /^(ClientRequestToken|ClientToken|IdempotencyToken|CallerReference|Marker|NextToken|nextToken|StatementId|Version|Action)$/;

type Call = TerraformCallRecord | SdkCallRecord;
/** The service as recorded: the SDK client ("LambdaClient") or Terraform's rpc.service ("Lambda"). */
export const serviceOf = (c: Call) => (c.via === "sdk" ? c.client : c.service);
/** The operation: the SDK command without "Command", or Terraform's rpc.method. */
export const operationOf = (c: Call) => (c.via === "sdk" ? c.command : c.operation);

export const callKey = (c: Call & { role: CiRole; step: string }) =>
  JSON.stringify([
    c.role,
    c.step,
    c.via,
    serviceOf(c),
    operationOf(c),
    c.via === "terraform" ? c.path : "",
    Object.entries(c.input)
      .filter(([k]) => !volatile.test(k))
      .sort(),
  ]);

export async function callRecorder() {
  const dir = await mkdtemp(join(tmpdir(), "bluemoxon-calls-"));
  const tfLog = join(dir, "terraform.log");
  const sdkLog = join(dir, "sdk.jsonl");
  const calls = new Map<string, RecordedCall>();
  const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
  let offsets = { tf: 0, sdk: 0 };
  return {
    /** Environment for a terraform (or promote) child: debug log and SDK call log into this recorder. */
    env: (): Record<string, string> => ({ TF_LOG: "debug", TF_LOG_PATH: tfLog, [callLogVariable]: sdkLog }),
    /** Attributes everything logged since the last collect() to `role` during `step`. */
    collect(role: CiRole, step: string) {
      const tfText = read(tfLog);
      const sdkText = read(sdkLog);
      const fresh: (TerraformCallRecord | SdkCallRecord)[] = [
        ...terraformCalls(tfText.slice(offsets.tf)),
        ...sdkText
          .slice(offsets.sdk)
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as SdkCallRecord),
      ];
      offsets = { tf: tfText.length, sdk: sdkText.length };
      for (const call of fresh) {
        const tagged = { ...call, role, step };
        const key = callKey(tagged);
        const seen = calls.get(key);
        if (seen) seen.count += 1;
        else calls.set(key, { ...tagged, count: 1 });
      }
      return fresh.length;
    },
    /** Forgets what was logged since the last collect() (calls made as someone else, e.g. the bootstrap's administrator). */
    skip() {
      offsets = { tf: read(tfLog).length, sdk: read(sdkLog).length };
    },
    calls: () => [...calls.values()],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export const recordingPath = join(import.meta.dirname, "recorded-calls.json");

/** The committed recording (tests/iam/recorded-calls.json). */
export function loadRecording(): Recording {
  return JSON.parse(readFileSync(recordingPath, "utf8")) as Recording;
}

/** What a call is, for "is it in the recording": role, source, service and operation. */
export const operationKey = (c: RecordedCall) => `${c.role} ${c.via} ${serviceOf(c)} ${operationOf(c)}`;
