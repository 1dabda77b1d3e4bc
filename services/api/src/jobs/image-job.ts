/** The `image_jobs` row as the API shows it. */
import { type JobRow, type JobStatus, loadJob, type Sql } from "@bluemoxon/core";

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

/** The row as the lifecycle module reads it. */
export type ImageJobRow = JobRow;

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
export function loadImageJob(sql: Sql, id: string): Promise<ImageJobRow | undefined> {
  return loadJob(sql, id);
}
