/**
 * The AWS contract suite: every case runs once per backend (embedded emulator, moto, LocalStack).
 * A backend that cannot start on this machine is skipped with one printed line; a per-backend
 * table is printed at the end. Known peer deviations live in known-deviations.ts.
 *
 * Run: `npx vitest run tests/contract`; `CONTRACT_BACKENDS=emulator` (comma list) runs a subset.
 */
import { afterAll, beforeAll, describe } from "vitest";
import { awsCliCases } from "./aws-cli-cases.ts";
import { backends, type StartedBackend } from "./backends.ts";
import { contractCaseFor } from "./contract-case.ts";
import { type ContractContext, createContractContext } from "./contract-context.ts";
import { ContractResults } from "./results-table.ts";
import { s3Cases } from "./s3-cases.ts";
import { secretsCases } from "./secrets-cases.ts";
import { sqsCases } from "./sqs-cases.ts";
import { sqsFifoCases } from "./sqs-fifo-cases.ts";
import { sqsQueryCases } from "./sqs-query-cases.ts";

const results = new ContractResults();
const only = process.env.CONTRACT_BACKENDS?.split(",").map((s) => s.trim());

for (const backend of backends) {
  describe(backend.name, () => {
    let started: StartedBackend | undefined;
    let ctx: ContractContext | undefined;

    beforeAll(async () => {
      if (only && !only.includes(backend.name)) {
        results.note(backend.name, `not in CONTRACT_BACKENDS=${process.env.CONTRACT_BACKENDS}`);
        return;
      }
      const result = await backend.start();
      if ("skip" in result) {
        results.note(backend.name, `skipped: ${result.skip}`);
        console.log(`[contract] ${backend.name} skipped: ${result.skip}`);
        return;
      }
      started = result;
      ctx = createContractContext(backend.name, result.endpoint);
    }, 180_000);

    afterAll(async () => {
      ctx?.destroy();
      await started?.stop();
    });

    const contractCase = contractCaseFor(backend.name, () => ctx, results);
    sqsCases(contractCase);
    sqsFifoCases(contractCase);
    sqsQueryCases(contractCase);
    s3Cases(contractCase);
    secretsCases(contractCase);
    awsCliCases(contractCase);
  });
}

afterAll(() => {
  console.log(`[contract] results per backend\n${results.table()}`);
});
