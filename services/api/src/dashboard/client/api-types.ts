/**
 * The dashboard's data types, inferred from the zod schemas the API serves (and documents in
 * /openapi.json): a schema change that breaks the dashboard fails `tsc`. Type-only imports, so
 * nothing of the server reaches the browser bundle.
 */
import type { z } from "@hono/zod-openapi";
import type {
  bookDetailSchema,
  bookPageSchema,
  imageJobSchema,
  importResponseSchema,
  jobStatusSchema,
  photoSchema,
  sweepResultSchema,
} from "../../routes/schemas.ts";

export type BookDetail = z.infer<typeof bookDetailSchema>;
export type BookPage = z.infer<typeof bookPageSchema>;
export type Photo = z.infer<typeof photoSchema>;
export type JobStatus = z.infer<typeof jobStatusSchema>;
export type ImageJob = z.infer<typeof imageJobSchema>;
export type ImportResponse = z.infer<typeof importResponseSchema>;
export type SweepResult = z.infer<typeof sweepResultSchema>;
