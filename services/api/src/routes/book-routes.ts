/** Import, book reads, and on-demand processing of one photo. */
import { activeJobStatuses, type CopyStatus, type JobStatus } from "@bluemoxon/core";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiDeps } from "../api-deps.ts";
import { type BookRow, loadBookDetail, loadBookDetails } from "../books/load-book-detail.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { decodeCursor, encodeCursor } from "../http/page-cursor.ts";
import { importEbayListing } from "../import/import-ebay-listing.ts";
import { toImageJob } from "../jobs/image-job.ts";
import { queueImageProcessing } from "../jobs/queue-image-processing.ts";
import type { App } from "./app-env.ts";
import {
  authResponses,
  bookDetailSchema,
  bookPageSchema,
  imageJobSchema,
  importRequestSchema,
  importResponseSchema,
  pageQuerySchema,
  problemResponse,
  security,
  uuidParam,
} from "./schemas.ts";

const importRoute = createRoute({
  method: "post",
  path: "/api/v1/books/import/ebay",
  tags: ["books"],
  summary: "Import an eBay listing",
  description:
    "Fetches the listing, creates the book (or returns the existing one), copies its photos to the bucket and queues the first copied photo for background removal. Photo failures are reported per photo and never fail the import.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: importRequestSchema } } } },
  responses: {
    201: { description: "Book created", content: { "application/json": { schema: importResponseSchema } } },
    200: {
      description: "The listing was imported before; the existing book",
      content: { "application/json": { schema: importResponseSchema } },
    },
    400: problemResponse("Not an eBay listing URL, or an invalid body"),
    404: problemResponse("eBay has no such listing"),
    413: problemResponse("Body too large"),
    502: problemResponse("eBay failed"),
    ...authResponses,
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/api/v1/books",
  tags: ["books"],
  summary: "List books, newest first, each with its photos and their processing status",
  security,
  request: { query: pageQuerySchema },
  responses: {
    200: { description: "A page of books", content: { "application/json": { schema: bookPageSchema } } },
    400: problemResponse("Invalid limit or cursor"),
    ...authResponses,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/api/v1/books/{id}",
  tags: ["books"],
  summary: "A book with its photos, their status and presigned URLs",
  security,
  request: { params: z.object({ id: uuidParam("id") }) },
  responses: {
    200: { description: "The book", content: { "application/json": { schema: bookDetailSchema } } },
    400: problemResponse("id is not a UUID"),
    404: problemResponse("No such book"),
    ...authResponses,
  },
});

const processRoute = createRoute({
  method: "post",
  path: "/api/v1/books/{id}/images/{imageId}/process",
  tags: ["books"],
  summary: "Queue one photo for background removal",
  security,
  request: { params: z.object({ id: uuidParam("id"), imageId: uuidParam("imageId") }) },
  responses: {
    202: {
      description: "Job created (status queued, or queue_failed to be retried by the sweep)",
      content: { "application/json": { schema: imageJobSchema } },
    },
    400: problemResponse("An id is not a UUID"),
    404: problemResponse("No such book or photo"),
    409: problemResponse("The photo was not copied, or already has an active job"),
    ...authResponses,
  },
});

export function registerBookRoutes(app: App, deps: ApiDeps): void {
  app.openapi(importRoute, async (c) => {
    const { url } = c.req.valid("json");
    const result = await importEbayListing({ ...deps, log: deps.log.child({ requestId: c.get("requestId") }) }, url);
    return c.json(result, result.created ? 201 : 200);
  });

  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const rows = await deps.sql<BookRow[]>`
      SELECT * FROM books
      ${after ? deps.sql`WHERE (created_at, id) < (${after.at}, ${after.id})` : deps.sql``}
      ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      { items: await loadBookDetails(deps, page), nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null },
      200,
    );
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const book = await loadBookDetail(deps, id);
    if (!book) throw new NotFoundError(`book ${id} not found`);
    return c.json(book, 200);
  });

  app.openapi(processRoute, async (c) => {
    const { id, imageId } = c.req.valid("param");
    const [image] = await deps.sql<{ copy_status: CopyStatus; job_status: JobStatus | null }[]>`
      SELECT i.copy_status, (SELECT j.status FROM image_jobs j WHERE j.image_id = i.id ORDER BY j.created_at DESC, j.id LIMIT 1) AS job_status
      FROM book_images i WHERE i.id = ${imageId} AND i.book_id = ${id}`;
    if (!image) throw new NotFoundError(`photo ${imageId} of book ${id} not found`);
    if (image.copy_status !== "copied")
      throw new ConflictError(`the photo was not copied to the bucket (${image.copy_status}); nothing to process`);
    // The partial unique index image_jobs_one_active decides, not the read above.
    const job = await queueImageProcessing({ ...deps, log: deps.log.child({ requestId: c.get("requestId") }) }, { imageId });
    if (!job) throw new ConflictError(`the photo already has an active job (${activeJobStatuses.join(", ")})`);
    return c.json(toImageJob(job), 202);
  });
}
