/**
 * The release record of an environment: the git SHA and the image digests of its last deploy that
 * passed every check, in SSM Parameter Store as `/<prefix>/release` (JSON). deploy-staging writes
 * it after a green smoke test; promote promotes exactly what it records.
 *
 *   zx scripts/release-record.mjs write --env staging --sha <git sha> --image api=<repo>@sha256:… --image worker=<repo>@sha256:…
 *   zx scripts/release-record.mjs read --env staging
 *   zx scripts/release-record.mjs check-newer --env staging --sha <git sha>   (deploy-order.ts: refuses an older commit)
 *
 * Options: --region (default pipeline.json's), --endpoint (moto in tests), --profile, --manifest.
 */
import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { loadManifest, type Manifest, resourceNames } from "@bluemoxon/core";
import { z } from "zod";
import { parseCli, parsePairs, runCli, UsageError } from "./cli-args.ts";
import { type AwsTarget, awsClient, unlessMissing } from "./deploy-clients.ts";
import { deployOrder, gitIsAncestor } from "./deploy-order.ts";

export const digestUri = /^([^@\s]+)@(sha256:[a-f0-9]{64})$/;

const recordSchema = z.object({
  sha: z.string().regex(/^[a-f0-9]{7,40}$/, "the release record has no git sha"),
  images: z.record(z.string(), z.string()),
  recordedAt: z.string().optional(),
});
export type ReleaseRecord = z.output<typeof recordSchema>;

/** SSM parameter name of an environment's release record. */
export const releaseParameter = (prefix: string) => `/${prefix}/release`;

/** Validates a record against the manifest's images; throws naming what is wrong. */
export function checkRecord(manifest: Manifest, input: unknown): ReleaseRecord {
  const parsed = recordSchema.safeParse(input);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  for (const image of Object.keys(manifest.images))
    if (!digestUri.test(parsed.data.images[image] ?? "")) throw new Error(`the release record has no ${image} image by digest`);
  return parsed.data;
}

export interface ReleaseTarget extends Partial<AwsTarget> {
  env: string;
  manifest?: Manifest;
}

function targetOf({ env, manifest = loadManifest(), ...aws }: ReleaseTarget) {
  const names = resourceNames(manifest, { environment: env, region: aws.region });
  return { manifest, name: releaseParameter(names.prefix), ssm: awsClient(SSMClient, { ...aws, region: names.region }) };
}

/** Reads `/<prefix>/release`; resolves to undefined when none was written yet. */
export async function readRelease(target: ReleaseTarget): Promise<ReleaseRecord | undefined> {
  const { manifest, name, ssm } = targetOf(target);
  try {
    const got = await unlessMissing(ssm.send(new GetParameterCommand({ Name: name })));
    if (!got) return undefined;
    return checkRecord(manifest, JSON.parse(got.Parameter?.Value ?? "null"));
  } finally {
    ssm.destroy();
  }
}

/** Writes `/<prefix>/release` (overwriting); resolves to the record written. */
export async function writeRelease(target: ReleaseTarget & { sha: string; images: Record<string, string> }): Promise<ReleaseRecord> {
  const { manifest, name, ssm } = targetOf(target);
  const record = checkRecord(manifest, { sha: target.sha, images: target.images, recordedAt: new Date().toISOString() });
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Type: "String", Overwrite: true, Value: JSON.stringify(record) }));
  } finally {
    ssm.destroy();
  }
  return record;
}

export const usage =
  "release-record.mjs write|read|check-newer --env ENV [--sha SHA --image NAME=URI ...] [--region R] [--endpoint URL] [--profile P]";

/** The command line; resolves to the exit code. */
export function main(args: string[]): Promise<number> {
  return runCli(usage, async () => {
    const { values, positionals } = parseCli(args, {
      env: { type: "string" },
      sha: { type: "string" },
      image: { type: "string", multiple: true },
      region: { type: "string" },
      endpoint: { type: "string" },
      profile: { type: "string" },
      manifest: { type: "string" },
    });
    const manifest = loadManifest(values.manifest);
    const [command, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (!values.env || !manifest.environments[values.env])
      throw new UsageError(`--env must be one of ${Object.keys(manifest.environments).join(", ")}`);
    const target = { env: values.env, manifest, region: values.region, endpoint: values.endpoint, profile: values.profile };
    if (command === "write") {
      const record = await writeRelease({ ...target, sha: values.sha ?? "", images: parsePairs(values.image) });
      console.log(`release of ${values.env} recorded: ${record.sha}`);
      return 0;
    }
    if (command === "read") {
      const record = await readRelease(target);
      if (!record) throw new Error(`no release recorded for ${values.env}`);
      console.log(JSON.stringify(record));
      return 0;
    }
    if (command === "check-newer") {
      if (!values.sha) throw new UsageError("check-newer needs --sha (the commit about to be deployed)");
      const record = await readRelease(target);
      const order = deployOrder({ sha: values.sha, recordedSha: record?.sha, env: values.env, isAncestor: gitIsAncestor(process.cwd()) });
      if (!order.ok) throw new Error(`refused: ${order.why}`);
      console.log(`may deploy: ${order.why}`);
      return 0;
    }
    throw new UsageError(command ? `unknown command "${command}"` : "a command (write, read or check-newer) is required");
  });
}
