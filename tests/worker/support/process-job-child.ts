/**
 * A worker process in miniature for tests that must see whether the process survives: runs
 * `processJob` once on `JOB_BODY` against `DATABASE_URL`, with an S3 that serves any key and a
 * remover that returns a fixed PNG, prints `{"outcome"…}` or `{"rejected"…}` as one JSON line,
 * waits a moment (a driver crash comes on a later tick), and exits 0. A crash exits non-zero.
 */

import type { S3Client } from "@aws-sdk/client-s3";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { createDb } from "@bluemoxon/core";
import { processJob } from "../../../services/worker/src/process-job.ts";

const sql = createDb({ url: process.env.DATABASE_URL!, max: 2, connectTimeout: 5, applicationName: "process-job-child" });
const photo = Buffer.from("not really a jpeg, the remover is a stand-in");
const s3 = {
  async send(command: unknown) {
    if (command instanceof GetObjectCommand)
      return {
        ContentLength: photo.length,
        Body: (async function* () {
          yield photo;
        })(),
      };
    return {};
  },
} as unknown as S3Client;
const remover = { remove: async () => ({ png: Buffer.from("png"), width: 1, height: 1 }) };

let line: Record<string, unknown>;
try {
  const result = await processJob(process.env.JOB_BODY!, { sql, s3, bucket: "test", remover });
  line = { outcome: result.outcome };
} catch (error) {
  line = { rejected: (error as Error).name, message: (error as Error).message };
}
console.log(JSON.stringify(line));
await new Promise((r) => setTimeout(r, 1000));
await sql.end({ timeout: 1 });
process.exit(0);
