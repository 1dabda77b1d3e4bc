/** Job reads and the two admin operations (retry sweep, DLQ redrive). */
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiDeps } from "../api-deps.ts";
import { NotFoundError } from "../errors.ts";
import { decodeCursor, encodeCursor } from "../http/page-cursor.ts";
import { type ImageJobRow, loadImageJob, toImageJob } from "../jobs/image-job.ts";
import { redriveDeadLetters } from "../jobs/redrive-dead-letters.ts";
import { runRetrySweep } from "../jobs/run-retry-sweep.ts";
import type { App } from "./app-env.ts";
import {
  authResponses,
  imageJobSchema,
  jobPageSchema,
  jobStatusSchema,
  pageQuerySchema,
  problemResponse,
  redriveResultSchema,
  security,
  sweepResultSchema,
  uuidParam,
} from "./schemas.ts";

const listRoute = createRoute({
  method: "get",
  path: "/api/v1/image-jobs",
  tags: ["image-jobs"],
  summary: "List image jobs, newest first, optionally by status",
  security,
  request: { query: pageQuerySchema.extend({ status: jobStatusSchema.optional().openapi({ param: { name: "status", in: "query" } }) }) },
  responses: {
    200: { description: "A page of jobs", content: { "application/json": { schema: jobPageSchema } } },
    400: problemResponse("Unknown status, invalid limit or cursor"),
    ...authResponses,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/api/v1/image-jobs/{id}",
  tags: ["image-jobs"],
  summary: "One image job",
  security,
  request: { params: z.object({ id: uuidParam("id") }) },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: imageJobSchema } } },
    400: problemResponse("id is not a UUID"),
    404: problemResponse("No such job"),
    ...authResponses,
  },
});

const retryRoute = createRoute({
  method: "post",
  path: "/api/v1/admin/image-jobs/retry",
  tags: ["admin"],
  summary: "Run the retry sweep now",
  description: "Re-sends queue_failed jobs past their backoff and stale queued/processing jobs; jobs over the attempt limit become failed.",
  security,
  responses: {
    200: { description: "What the sweep did", content: { "application/json": { schema: sweepResultSchema } } },
    ...authResponses,
  },
});

const redriveRoute = createRoute({
  method: "post",
  path: "/api/v1/admin/image-jobs/redrive",
  tags: ["admin"],
  summary: "Move dead-lettered messages back to the queue",
  description: "Receives messages from the image-processing DLQ, resets their jobs to queued and re-sends them.",
  security,
  request: {
    query: z.object({
      max: z.coerce
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(100)
        .openapi({ param: { name: "max", in: "query" } }),
    }),
  },
  responses: {
    200: { description: "What was moved", content: { "application/json": { schema: redriveResultSchema } } },
    400: problemResponse("Invalid max"),
    ...authResponses,
  },
});

export function registerImageJobRoutes(app: App, deps: ApiDeps): void {
  app.openapi(listRoute, async (c) => {
    const { limit, cursor, status } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const { sql } = deps;
    const rows = await sql<ImageJobRow[]>`
      SELECT j.*, i.book_id FROM image_jobs j JOIN book_images i ON i.id = j.image_id
      WHERE true
      ${status ? sql`AND j.status = ${status}` : sql``}
      ${after ? sql`AND (j.created_at, j.id) < (${after.at}, ${after.id})` : sql``}
      ORDER BY j.created_at DESC, j.id DESC LIMIT ${limit + 1}`;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      { items: page.map(toImageJob), nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null },
      200,
    );
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const job = await loadImageJob(deps.sql, id);
    if (!job) throw new NotFoundError(`image job ${id} not found`);
    return c.json(toImageJob(job), 200);
  });

  app.openapi(retryRoute, async (c) =>
    c.json(await runRetrySweep({ ...deps, log: deps.log.child({ requestId: c.get("requestId") }) }), 200),
  );

  app.openapi(redriveRoute, async (c) => {
    const { max } = c.req.valid("query");
    return c.json(await redriveDeadLetters({ ...deps, log: deps.log.child({ requestId: c.get("requestId") }) }, { max }), 200);
  });
}
