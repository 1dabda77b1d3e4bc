/**
 * One owner per piece of state: no file outside packages/core/src/image-jobs writes `image_jobs` or
 * a photo's copy state, and no source outside the lifecycle table spells the active job statuses.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { activeJobStatuses, jobTransitions, migrate, unsettledCopyStatuses } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, testDatabaseServer } from "../support/test-database.ts";

const root = join(import.meta.dirname, "../..");
const owner = "packages/core/src/image-jobs/";

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(path);
  }
  return out;
}

/** Statements that write a job, or a photo's copy columns. */
function lifecycleWrites(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(image_jobs|book_images)\b[\s\S]{0,600}?(?=`|;|$)/gi)) {
    const statement = m[0];
    if (/image_jobs/i.test(m[2]!) || /\bcopy_(status|error|version|attempts|claimed_at|retry_at)\b/i.test(statement))
      found.push(statement.slice(0, 80));
  }
  return found;
}

describe("the lifecycle module is the only writer", () => {
  it("finds the writes it is meant to find (the rule can fail)", () => {
    expect(lifecycleWrites("sql`UPDATE image_jobs SET status = 'failed' WHERE id = 1`")).toHaveLength(1);
    expect(lifecycleWrites("sql`UPDATE book_images SET copy_status = 'failed', copy_error = $1`")).toHaveLength(1);
    expect(lifecycleWrites("sql`INSERT INTO image_jobs (image_id) VALUES (1)`")).toHaveLength(1);
    expect(lifecycleWrites("sql`UPDATE book_images SET is_primary = true WHERE id = 1`")).toHaveLength(0);
  });

  it("no file of packages/, services/ or scripts/ outside image-jobs/ writes image_jobs or a copy state", () => {
    const offenders: string[] = [];
    for (const dir of ["packages", "services", "scripts"])
      for (const file of sources(join(root, dir))) {
        const rel = relative(root, file);
        if (rel.startsWith(owner)) continue;
        for (const w of lifecycleWrites(readFileSync(file, "utf8"))) offenders.push(`${rel}: ${w}`);
      }
    expect(offenders).toEqual([]);
  });

  it("no source outside the lifecycle table spells a list of job statuses in SQL or the dashboard", () => {
    const offenders: string[] = [];
    for (const dir of ["packages", "services"])
      for (const file of sources(join(root, dir))) {
        const rel = relative(root, file);
        if (rel.startsWith(owner)) continue;
        const text = readFileSync(file, "utf8");
        if (/status\s+IN\s*\(\s*'/i.test(text) || /new Set\(\[\s*"(pending|queued|processing|queue_failed)"/.test(text))
          offenders.push(rel);
      }
    expect(offenders).toEqual([]);
  });
});

describe("the status lists come from the table", () => {
  it("active = every job state the pipeline still leaves by itself; unsettled copies = copy states with a way out", () => {
    expect([...activeJobStatuses].sort()).toEqual(["pending", "processing", "queue_failed", "queued"]);
    for (const s of activeJobStatuses) expect(jobTransitions[s].length).toBeGreaterThan(0);
    expect([...unsettledCopyStatuses].sort()).toEqual(["copying", "pending", "retryable"]);
  });

  const { skipReason } = testDatabaseServer();
  describe.skipIf(Boolean(skipReason))("in the database", () => {
    let drop: (() => Promise<void>) | undefined;
    afterAll(() => drop?.());
    it("the one-active-job index covers exactly the active statuses; the copy CHECK exactly the copy states", async () => {
      const db = await createTestDatabase();
      drop = db.drop;
      await migrate(db.sql);
      const [index] = await db.sql<{ def: string }[]>`SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'image_jobs_one_active'`;
      const listed = [...index!.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
      expect(listed).toEqual([...activeJobStatuses].sort());
      const [check] = await db.sql<{ def: string }[]>`
        SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'book_images_copy_status_check'`;
      expect([...check!.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort()).toEqual([
        "copied",
        "copying",
        "failed",
        "pending",
        "retryable",
      ]);
    });
  });
});
