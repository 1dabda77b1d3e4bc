/** A book with its photos, their copy and processing status, and short-lived presigned URLs. */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { type CopyStatus, canProcess, isActiveJob, type JobStatus, unsettledCopyStatuses } from "@bluemoxon/core";
import type { ApiDeps } from "../api-deps.ts";
import { specificOf } from "../ebay/map-browse-item.ts";

export interface BookRow {
  id: string;
  source: string;
  source_item_id: string;
  title: string;
  price_value: string | null;
  price_currency: string | null;
  condition: string | null;
  seller: string | null;
  item_url: string | null;
  specifics: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export interface BookSummary {
  id: string;
  source: string;
  sourceItemId: string;
  title: string;
  price: { value: string; currency: string } | null;
  condition: string | null;
  seller: string | null;
  itemUrl: string | null;
  author: string | null;
  publisher: string | null;
  publicationYear: string | null;
  specifics: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface PhotoDetail {
  id: string;
  position: number;
  sourceUrl: string;
  copyStatus: CopyStatus;
  copyError: string | null;
  /** Copy attempts made so far (a retryable copy is tried again by a re-import or the sweep). */
  copyAttempts: number;
  /** Whether a (re)process request would be accepted: copied, and no active job. */
  canProcess: boolean;
  /** Whether the pipeline will still change this photo by itself (its copy or its job). */
  moving: boolean;
  isPrimary: boolean;
  contentType: string | null;
  byteSize: number | null;
  originalUrl: string | null;
  processedUrl: string | null;
  processing: { jobId: string; status: JobStatus; active: boolean; attempts: number; lastError: string | null; updatedAt: string } | null;
}

export interface BookDetail extends BookSummary {
  photos: PhotoDetail[];
}

export function toBookSummary(row: BookRow): BookSummary {
  const specifics = row.specifics ?? {};
  return {
    id: row.id,
    source: row.source,
    sourceItemId: row.source_item_id,
    title: row.title,
    price: row.price_value !== null && row.price_currency ? { value: String(row.price_value), currency: row.price_currency } : null,
    condition: row.condition,
    seller: row.seller,
    itemUrl: row.item_url,
    author: specificOf(specifics, "Author"),
    publisher: specificOf(specifics, "Publisher"),
    publicationYear: specificOf(specifics, "Publication Year", "Year Printed", "Year"),
    specifics,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

type PhotoRow = {
  id: string;
  book_id: string;
  position: number;
  source_url: string;
  copy_status: CopyStatus;
  copy_error: string | null;
  copy_attempts: number;
  is_primary: boolean;
  content_type: string | null;
  byte_size: number | null;
  s3_key: string | null;
  processed_key: string | null;
  job_id: string | null;
  job_status: JobStatus | null;
  job_attempts: number | null;
  job_error: string | null;
  job_updated_at: Date | null;
};

type DetailDeps = Pick<ApiDeps, "sql" | "aws" | "presignS3" | "bucket" | "config">;

/** @returns undefined when the book does not exist. */
export async function loadBookDetail(deps: DetailDeps, id: string): Promise<BookDetail | undefined> {
  const [book] = await deps.sql<BookRow[]>`SELECT * FROM books WHERE id = ${id}`;
  if (!book) return undefined;
  const [detail] = await loadBookDetails(deps, [book]);
  return detail;
}

/**
 * The details of several books with one photo query (the books list uses it, so a dashboard
 * poll is one request and two queries, whatever the page size).
 */
export async function loadBookDetails(deps: DetailDeps, books: BookRow[]): Promise<BookDetail[]> {
  if (books.length === 0) return [];
  const ids = books.map((b) => b.id);
  const photos = await deps.sql<PhotoRow[]>`
    SELECT i.*, j.id AS job_id, j.status AS job_status, j.attempts AS job_attempts, j.last_error AS job_error, j.updated_at AS job_updated_at
    FROM book_images i
    LEFT JOIN LATERAL (SELECT * FROM image_jobs WHERE image_id = i.id ORDER BY created_at DESC, id LIMIT 1) j ON true
    WHERE i.book_id IN ${deps.sql(ids)}
    ORDER BY i.book_id, i.position`;
  const presign = (key: string | null) =>
    key
      ? getSignedUrl(deps.presignS3 ?? deps.aws.s3, new GetObjectCommand({ Bucket: deps.bucket, Key: key }), {
          expiresIn: deps.config.PRESIGN_SECONDS,
        })
      : Promise.resolve(null);
  const toPhoto = async (p: PhotoRow): Promise<PhotoDetail> => ({
    id: p.id,
    position: p.position,
    sourceUrl: p.source_url,
    copyStatus: p.copy_status,
    copyError: p.copy_error,
    copyAttempts: p.copy_attempts,
    canProcess: canProcess(p.copy_status, p.job_status),
    moving: isActiveJob(p.job_status) || unsettledCopyStatuses.includes(p.copy_status),
    isPrimary: p.is_primary,
    contentType: p.content_type,
    byteSize: p.byte_size,
    originalUrl: await presign(p.copy_status === "copied" ? p.s3_key : null),
    processedUrl: await presign(p.processed_key),
    processing: p.job_id
      ? {
          jobId: p.job_id,
          status: p.job_status!,
          active: isActiveJob(p.job_status),
          attempts: p.job_attempts!,
          lastError: p.job_error,
          updatedAt: p.job_updated_at!.toISOString(),
        }
      : null,
  });
  const byBook = new Map<string, PhotoDetail[]>(ids.map((id) => [id, []]));
  const converted = await Promise.all(photos.map(toPhoto));
  for (const [i, p] of photos.entries()) byBook.get(p.book_id)?.push(converted[i]!);
  return books.map((b) => ({ ...toBookSummary(b), photos: byBook.get(b.id) ?? [] }));
}
