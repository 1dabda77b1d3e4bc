// The --apply-cmd of tests/deploy/promote.test.ts: stands in for `terraform apply` by publishing a
// version of each function with its new image (what the apply changes: the `live` alias is created
// on a first deploy only, go-live moves it later), and records each apply so the test can see that
// a rollback does not re-apply. It reports the versions it published in $PROMOTE_PUBLISHED.
import { appendFileSync, writeFileSync } from "node:fs";
import { CreateAliasCommand, GetAliasCommand, LambdaClient, UpdateFunctionCodeCommand } from "@aws-sdk/client-lambda";

// FAKE_APPLY_FAIL=1: fail the way a held state lock or a failed precondition does, before changing anything.
if (process.env.FAKE_APPLY_FAIL === "1") {
  if (process.env.FAKE_APPLY_LOG) appendFileSync(process.env.FAKE_APPLY_LOG, `${process.env.PROMOTE_PHASE}-refused\n`);
  console.error("Error acquiring the state lock (fake)");
  process.exit(1);
}
const functions = JSON.parse(process.env.PROMOTE_FUNCTIONS ?? "{}");
const published = {};
const lambda = new LambdaClient({ endpoint: process.env.AWS_ENDPOINT_URL, region: process.env.AWS_REGION ?? "us-east-1" });
for (const [name, uri] of Object.entries(functions)) {
  // As terraform/modules/container-function does it: publish = true; `live` created on a first deploy, never moved.
  const { Version } = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ImageUri: uri, Publish: true }));
  published[name] = Version;
  try {
    await lambda.send(new GetAliasCommand({ FunctionName: name, Name: "live" }));
  } catch {
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: "live", FunctionVersion: Version }));
  }
}
lambda.destroy();
// What terraform's published_versions output reports: the versions this apply published.
writeFileSync(process.env.PROMOTE_PUBLISHED, JSON.stringify(published));
if (process.env.FAKE_APPLY_LOG)
  appendFileSync(process.env.FAKE_APPLY_LOG, `${process.env.PROMOTE_PHASE} ${JSON.stringify(process.env.PROMOTE_IMAGES)}\n`);
