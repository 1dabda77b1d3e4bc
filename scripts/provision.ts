/**
 * One-shot provisioning for compose (and any AWS-compatible endpoint): creates pipeline.json's
 * queues, DLQs, buckets and secrets through the same `provisionPipeline` as `npm start`, then
 * applies the database migrations when `DATABASE_URL` is set. Exits 0 when everything exists.
 *
 *   AWS_ENDPOINT_URL=http://localhost:4566 DEV_API_KEY=… npx tsx scripts/provision.ts
 *
 * Env: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID/SECRET, PIPELINE_ENV (default local),
 * DEV_API_KEY (value of the api-key secret when it is first created; never logged; the
 * eBay fixture's client credentials are generated),
 * DATABASE_URL (optional: migrate), PIPELINE_MANIFEST (optional: another manifest).
 */
import { randomBytes } from "node:crypto";
import { awsConfigFromEnv, createAwsClients, createDb, createLogger, loadManifest, migrate, provisionPipeline } from "@bluemoxon/core";

const log = createLogger({ service: "provision" });
const environment = process.env.PIPELINE_ENV?.trim() || "local";
const apiKey = process.env.DEV_API_KEY?.trim();
if (apiKey) log.redactValue(apiKey);

const manifest = loadManifest();
const clients = createAwsClients(awsConfigFromEnv(process.env));
try {
  // Values only for secrets created now; existing secrets keep theirs.
  const secretValues: Record<string, string> = {
    "ebay-credentials": JSON.stringify({ clientId: "local-fixture", clientSecret: randomBytes(18).toString("base64url") }),
  };
  if (apiKey) secretValues["api-key"] = JSON.stringify({ keys: [apiKey] });
  const provisioned = await provisionPipeline({ clients, manifest, environment, secretValues, log });
  log.info("provisioned", {
    environment,
    queues: Object.values(provisioned.queues).map((q) => q.name),
    buckets: Object.values(provisioned.buckets),
    secrets: Object.values(provisioned.secrets).map((s) => s.name),
  });
  if (process.env.DATABASE_URL) {
    const sql = createDb({ url: process.env.DATABASE_URL, max: 1, applicationName: "provision" });
    try {
      const result = await migrate(sql);
      log.info("migrated", { applied: result.applied, skipped: result.skipped.length });
    } finally {
      await sql.end();
    }
  }
} catch (error) {
  log.error("provisioning failed", { error });
  process.exitCode = 1;
} finally {
  clients.destroy();
}
