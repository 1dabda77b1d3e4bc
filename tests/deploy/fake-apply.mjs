// The --apply-cmd of tests/deploy/promote.test.ts: stands in for `terraform apply` by publishing a
// version of each function with its new image and moving its `live` alias there (what the apply
// changes), and records each apply so the test can see that a rollback does not re-apply.
import { execFileSync } from "node:child_process";
import { appendFileSync } from "node:fs";

// FAKE_APPLY_FAIL=1: fail the way a held state lock or a failed precondition does, before changing anything.
if (process.env.FAKE_APPLY_FAIL === "1") {
  if (process.env.FAKE_APPLY_LOG) appendFileSync(process.env.FAKE_APPLY_LOG, `${process.env.PROMOTE_PHASE}-refused\n`);
  console.error("Error acquiring the state lock (fake)");
  process.exit(1);
}
const functions = JSON.parse(process.env.PROMOTE_FUNCTIONS ?? "{}");
const aws = (...args) =>
  JSON.parse(
    execFileSync("aws", ["--endpoint-url", process.env.AWS_ENDPOINT_URL, "--output", "json", ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }) || "{}",
  );
for (const [name, uri] of Object.entries(functions)) {
  // As terraform/modules does it: publish = true, and the `live` alias follows (created on a first deploy).
  const { Version } = aws("lambda", "update-function-code", "--function-name", name, "--image-uri", uri, "--publish");
  const alias = ["--function-name", name, "--name", "live", "--function-version", Version];
  try {
    aws("lambda", "update-alias", ...alias);
  } catch {
    aws("lambda", "create-alias", ...alias);
  }
}
if (process.env.FAKE_APPLY_LOG)
  appendFileSync(process.env.FAKE_APPLY_LOG, `${process.env.PROMOTE_PHASE} ${JSON.stringify(process.env.PROMOTE_IMAGES)}\n`);
