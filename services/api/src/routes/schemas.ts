/** Request and response schemas; the OpenAPI document is generated from these. */
import { copyStatuses, jobStatuses } from "@bluemoxon/core";
import { z } from "@hono/zod-openapi";
import { problemSchema } from "../http/problem.ts";

export const uuidParam = (name: string) =>
  z.uuid({ error: `${name} must be a UUID` }).openapi({ param: { name, in: "path" }, example: "0b6f2b8e-3c1d-4f7a-9a51-2f0d8f3c9e11" });

export const jobStatusSchema = z.enum(jobStatuses).openapi("JobStatus");

export const imageJobSchema = z
  .object({
    id: z.uuid(),
    imageId: z.uuid(),
    bookId: z.uuid(),
    status: jobStatusSchema,
    attempts: z.number().int().openapi({ description: "Processing attempts by the worker" }),
    sendAttempts: z.number().int().openapi({ description: "Times the API tried to send the message" }),
    lastError: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    queuedAt: z.iso.datetime().nullable(),
    startedAt: z.iso.datetime().nullable(),
    completedAt: z.iso.datetime().nullable(),
  })
  .openapi("ImageJob");

const priceSchema = z
  .object({ value: z.string().openapi({ example: "125.00" }), currency: z.string().openapi({ example: "USD" }) })
  .nullable();

export const bookSummarySchema = z
  .object({
    id: z.uuid(),
    source: z.string().openapi({ example: "ebay" }),
    sourceItemId: z.string().openapi({ example: "315209876543" }),
    title: z.string(),
    price: priceSchema,
    condition: z.string().nullable(),
    seller: z.string().nullable(),
    itemUrl: z.string().nullable(),
    author: z.string().nullable(),
    publisher: z.string().nullable(),
    publicationYear: z.string().nullable(),
    specifics: z.record(z.string(), z.string()),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("BookSummary");

export const photoSchema = z
  .object({
    id: z.uuid(),
    position: z.number().int(),
    sourceUrl: z.string(),
    copyStatus: z.enum(copyStatuses).openapi({
      description:
        "pending → copying → copied; retryable (a transient failure: tried again by a re-import or the sweep); failed (permanent)",
    }),
    copyError: z.string().nullable().openapi({ description: "Why the copy failed: a reason code, a colon, and detail" }),
    copyAttempts: z.number().int(),
    canProcess: z.boolean().openapi({ description: "Whether POST …/process would be accepted now: copied, and no active job" }),
    moving: z.boolean().openapi({ description: "The pipeline will still change this photo by itself (its copy or its job)" }),
    isPrimary: z.boolean(),
    contentType: z.string().nullable(),
    byteSize: z.number().int().nullable(),
    originalUrl: z.string().nullable().openapi({ description: "Presigned GET URL of our copy (short-lived)" }),
    processedUrl: z.string().nullable().openapi({ description: "Presigned GET URL of the background-removed PNG (short-lived)" }),
    processing: z
      .object({
        jobId: z.uuid(),
        status: jobStatusSchema,
        active: z.boolean().openapi({ description: "The pipeline will still move this job by itself" }),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
        updatedAt: z.iso.datetime(),
      })
      .nullable(),
  })
  .openapi("Photo");

export const bookDetailSchema = bookSummarySchema.extend({ photos: z.array(photoSchema) }).openapi("BookDetail");

export const importRequestSchema = z
  .object({
    url: z.string().min(1).max(2048).openapi({
      description: "eBay listing URL in any of its forms, or a bare item id",
      example: "https://www.ebay.com/itm/315209876543",
    }),
  })
  .strict()
  .openapi("ImportRequest");

export const importResponseSchema = z
  .object({ created: z.boolean(), book: bookDetailSchema, job: imageJobSchema.nullable() })
  .openapi("ImportResponse");

export const pageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .openapi({ param: { name: "limit", in: "query" }, example: 20 }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "nextCursor of the previous page" }),
});

export const bookPageSchema = z
  .object({
    items: z.array(bookDetailSchema).openapi({
      description: "Each book with its photos, their latest job and presigned URLs: one request shows a page of books in full",
    }),
    nextCursor: z.string().nullable(),
  })
  .openapi("BookPage");
export const jobPageSchema = z.object({ items: z.array(imageJobSchema), nextCursor: z.string().nullable() }).openapi("ImageJobPage");

export const sweepResultSchema = z
  .object({
    examined: z.number().int(),
    requeued: z.number().int(),
    stillFailing: z.number().int(),
    gaveUp: z.number().int(),
    deadLettered: z.number().int().openapi({
      description: "Jobs whose message reached the DLQ (seen there, or lost at its last delivery): marked dead-lettered, not re-sent",
    }),
    copiesRetried: z.number().int().openapi({ description: "Photo copies that had failed transiently, tried again" }),
    copiesCopied: z.number().int(),
  })
  .openapi("RetrySweepResult");

export const redriveResultSchema = z
  .object({
    moved: z.number().int().openapi({ description: "Messages re-sent, one per job" }),
    jobsReset: z.number().int(),
    duplicates: z.number().int().openapi({ description: "Further copies of a job already re-sent: deleted" }),
    superseded: z
      .number()
      .int()
      .openapi({ description: "Messages of jobs that completed or were replaced by a newer job of the photo: deleted, nothing reset" }),
    inFlight: z.number().int().openapi({ description: "Messages of jobs a worker is still running: left in the DLQ, nothing reset" }),
    invalid: z.number().int(),
  })
  .openapi("RedriveResult");

export const healthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

export const deepHealthSchema = z
  .object({
    status: z.enum(["ok", "failed"]),
    checks: z.array(
      z.object({
        name: z.string(),
        status: z.enum(["ok", "failed"]),
        latencyMs: z.number(),
        error: z.string().optional(),
        details: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
      }),
    ),
  })
  .openapi("DeepHealth");

const problemContent = { "application/problem+json": { schema: problemSchema } };
export const problemResponse = (description: string) => ({ description, content: problemContent });

/** Responses every authenticated route can give. */
export const authResponses = {
  401: problemResponse("Missing or invalid X-API-Key"),
  503: problemResponse("A secret cannot be read (API keys, or eBay credentials on import)"),
} as const;

export const security = [{ ApiKey: [] }];
