/** Background removal past its budget is stopped (its thread terminated), and nothing runs beside it. */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PermanentJobError } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";
import { ProcessingTimeoutError } from "../../services/worker/src/errors.ts";
import { processJob } from "../../services/worker/src/process-job.ts";
import { createThreadRemover } from "../../services/worker/src/thread-remover.ts";
import { createTestDatabase, testDatabaseServer } from "../support/test-database.ts";
import { jobRow, seedJob } from "./support/seed-job.ts";

const spinning = new URL("./support/spinning-remover.ts", import.meta.url).href;

describe("thread remover", () => {
  const remover = createThreadRemover({ module: spinning });
  afterAll(() => remover.release());

  it("a removal that spins past its budget is stopped: its thread ends before the error, the next record gets a fresh thread", async () => {
    const first = await remover.removeWithin(Buffer.from([1]), {}, 60_000);
    const firstThread = first.png.toString();
    const events: string[] = [];
    const stuck = remover.removeWithin(Buffer.from([0xff]), {}, 300).then(
      () => events.push("stuck resolved"),
      (error: unknown) => events.push(error instanceof ProcessingTimeoutError ? "stuck stopped" : `stuck ${String(error)}`),
    );
    // Asked while the stuck one spins: it waits, and starts only after that thread is gone.
    const next = remover.removeWithin(Buffer.from([2]), {}, 60_000).then((r) => {
      events.push("next done");
      return r;
    });
    await stuck;
    const after = await next;
    expect(events).toEqual(["stuck stopped", "next done"]);
    expect(after.png.toString()).not.toBe(firstThread);
    expect(remover.threadsStarted).toBe(2);
  });

  it("keeps a bad photo's error permanent, under the engine's name", async () => {
    const error = await remover.removeWithin(Buffer.from([0xee]), {}, 60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect(error).toMatchObject({ name: "UndecodableImageError", message: "not a photo" });
  });
});

/** An S3 that serves `photo` for any key and accepts any write. */
const s3With = (photo: Uint8Array) =>
  ({
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
  }) as unknown as S3Client;

describe.skipIf(Boolean(testDatabaseServer().skipReason))("processJob with the thread remover", () => {
  it("stops a removal past the invocation's budget: the record fails transiently, the thread is gone, and the next record runs", async () => {
    const db = await createTestDatabase({ migrate: true });
    const remover = createThreadRemover({ module: spinning });
    try {
      const stuck = await seedJob(db.sql, {} as S3Client, "test", null);
      const error = await processJob(
        stuck.body,
        { sql: db.sql, s3: s3With(Buffer.from([0xff])), bucket: "test", remover },
        { timeoutMs: 300 },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProcessingTimeoutError);
      expect((await jobRow(db.sql, stuck.jobId)).status).toBe("processing");
      // Before: Promise.race gave up waiting while the removal spun on, so this record never got the engine.
      const fine = await seedJob(db.sql, {} as S3Client, "test", null);
      const done = await processJob(
        fine.body,
        { sql: db.sql, s3: s3With(Buffer.from([1])), bucket: "test", remover },
        { timeoutMs: 30_000 },
      );
      expect(done).toMatchObject({ outcome: "completed" });
      expect(remover.threadsStarted).toBe(2);
    } finally {
      await remover.release();
      await db.drop();
    }
  });
});
