/** Drives a stack the way the dashboard does: import a fixture listing, follow its job to the end. */
import { join } from "node:path";
import { fixtureListingUrls } from "@bluemoxon/ebay-fixture";
import { until } from "../../support/until.ts";

// biome-ignore lint/suspicious/noExplicitAny: API responses are checked field by field in the tests.
type Json = Record<string, any>;

/** The eBay fixture's sample listings, as item URLs. */
export function sampleListings(root: string): string[] {
  return fixtureListingUrls(join(root, "services/ebay-fixture/fixtures"));
}

export async function call(stack: { api: string; apiKey: string }, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.api}${path}`, {
    method,
    headers: { "X-API-Key": stack.apiKey, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** Imports `url` and waits until its primary photo's job is completed or failed; returns the job. */
export async function importAndProcess(stack: { api: string; apiKey: string }, url: string, timeoutMs = 240_000): Promise<Json> {
  const imported = await call(stack, "POST", "/api/v1/books/import/ebay", { url });
  if (imported.status !== 201) throw new Error(`import of ${url} answered ${imported.status}: ${JSON.stringify(imported.body)}`);
  const primary = imported.body.book?.photos?.find((p: Json) => p.isPrimary);
  const jobId = imported.body.job?.id ?? primary?.processing?.jobId;
  if (!jobId) throw new Error(`the import of ${url} queued no job: ${JSON.stringify(imported.body)}`);
  return until(
    `job ${jobId} to finish`,
    async () => {
      const job = (await call(stack, "GET", `/api/v1/image-jobs/${jobId}`)).body;
      return (job.status === "completed" || job.status === "failed") && job;
    },
    timeoutMs,
    { everyMs: 500 },
  );
}
