/** Applies the migrations to DATABASE_URL and prints what it did (used by `npm start` and compose). */
import { createDb, migrate } from "@bluemoxon/core";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is required");
  process.exit(1);
}
const sql = createDb({ url, max: 1, applicationName: "migrate" });
try {
  const { applied, skipped } = await migrate(sql);
  console.log(`migrations applied: ${applied.length ? applied.join(", ") : "none"} (${skipped.length} already applied)`);
} finally {
  await sql.end({ timeout: 5 });
}
