/** The `image_jobs` row as the API shows it. */
import type { JobStatus, Sql } from "@bluemoxon/core";

export interface ImageJob {
  id: string;
  imageId: string;
  bookId: string;
  status: JobStatus;
  attempts: number;
  sendAttempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  queuedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

export interface ImageJobRow {
  id: string;
  image_id: string;
  book_id: string;
  status: JobStatus;
  attempts: number;
  send_attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  queued_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
  s3_key?: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toImageJob(row: ImageJobRow): ImageJob {
  return {
    id: row.id,
    imageId: row.image_id,
    bookId: row.book_id,
    status: row.status,
    attempts: row.attempts,
    sendAttempts: row.send_attempts,
    lastError: row.last_error,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    queuedAt: iso(row.queued_at),
    startedAt: iso(row.started_at),
    completedAt: iso(row.completed_at),
  };
}

/** Loads one job with its book id (jobs reference images, images reference books). */
export async function loadImageJob(sql: Sql, id: string): Promise<ImageJobRow | undefined> {
  const [row] = await sql<ImageJobRow[]>`
    SELECT j.*, i.book_id, i.s3_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${id}`;
  return row;
}
