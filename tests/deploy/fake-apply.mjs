// The --apply-cmd of tests/deploy/promote.test.ts: stands in for `terraform apply` by pointing each
// function at its new image (what the apply changes), and records the phase so the test can
// see the rollback happen.
import { execFileSync } from "node:child_process";
import { appendFileSync } from "node:fs";

// FAKE_APPLY_FAIL=1: fail the way a held state lock or a failed precondition does, before changing anything.
if (process.env.FAKE_APPLY_FAIL === "1") {
  if (process.env.FAKE_APPLY_LOG) appendFileSync(process.env.FAKE_APPLY_LOG, `${process.env.PROMOTE_PHASE}-refused\n`);
  console.error("Error acquiring the state lock (fake)");
  process.exit(1);
}
const functions = JSON.parse(process.env.PROMOTE_FUNCTIONS ?? "{}");
for (const [name, uri] of Object.entries(functions)) {
  execFileSync(
    "aws",
    ["--endpoint-url", process.env.AWS_ENDPOINT_URL, "lambda", "update-function-code", "--function-name", name, "--image-uri", uri],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}
if (process.env.FAKE_APPLY_LOG)
  appendFileSync(process.env.FAKE_APPLY_LOG, `${process.env.PROMOTE_PHASE} ${JSON.stringify(process.env.PROMOTE_IMAGES)}\n`);
