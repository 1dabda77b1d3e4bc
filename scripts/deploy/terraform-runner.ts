/**
 * Terraform of one environment for promote (promote.ts): run with that environment's AWS profile,
 * `init` once (with its backend config, or none), and a failure reported as terraform's own
 * diagnostic (a lock's holder, a failed precondition) rather than its last lines.
 */
import { $ } from "zx";
import { profileEnv } from "./deploy-clients.ts";
import { PromotionError } from "./promotion-error.ts";

/** Terraform's diagnostic from its first "Error" line on (a lock's holder, a failed precondition), else its last lines. */
export function errorLines(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.replace(/^[│╷╵]\s?/, "").trimEnd())
    .filter((l) => l.trim());
  const at = lines.findIndex((l) => /^Error\b/.test(l.trim()));
  return (at >= 0 ? lines.slice(at, at + 14) : lines.slice(-6)).join("\n  ");
}

export interface TerraformTarget {
  /** Environment name, for messages. */
  env: string;
  /** The environment's terraform directory (terraform/envs/<env>). */
  terraformDir: string;
  /** `-backend-config` file, or "none" for no backend config. */
  backendConfig: string;
  /** AWS profile terraform runs with (AWS_PROFILE), if any. */
  profile?: string;
}

/** Runs `terraform <args>` in the target's directory (init first, once); resolves to its stdout. */
export type TerraformRunner = (args: string[], what?: string) => Promise<string>;

export function terraformRunner(target: TerraformTarget): TerraformRunner {
  const env = { ...process.env, ...profileEnv(target.profile), TF_IN_AUTOMATION: "1" };
  let initialised: Promise<string> | undefined;
  const tf = async (tfArgs: string[], what?: string) => {
    const out = await $({ env, nothrow: true, quiet: true })`terraform -chdir=${target.terraformDir} ${tfArgs}`;
    if (out.exitCode !== 0) throw new PromotionError(`terraform ${what ?? tfArgs[0]} of ${target.env} failed: ${errorLines(out.stderr)}`);
    return out.stdout;
  };
  return async (tfArgs, what) => {
    initialised ??= tf(
      ["init", "-input=false", "-no-color", ...(target.backendConfig === "none" ? [] : [`-backend-config=${target.backendConfig}`])],
      "init",
    );
    await initialised;
    return tf(tfArgs, what);
  };
}
