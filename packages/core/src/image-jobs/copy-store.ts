/**
 * Every write of a photo's copy state (`book_images.copy_status` and what goes with it): a copy is
 * claimed before it is made (`pending`/`retryable` → `copying`), so two imports of one listing at
 * once never download a photo twice, and finished by a compare-and-set on the claim's version, so
 * a lost or late copier can never flip `copied` back. One statement each (see job-store.ts for why).
 */
import type { Sql } from "../db.ts";
import { type CopyStatus, copyAllowedFrom } from "./lifecycle-table.ts";

export interface CopyClaim {
  imageId: string;
  bookId: string;
  position: number;
  sourceUrl: string;
  /** The claim's version: only this claim may finish the copy. */
  version: number;
  /** This is the copy's attempt number n (1 on the first try). */
  attempt: number;
}

/**
 * Claims a photo's copy. A `copying` claim older than `leaseSeconds` belonged to an API that was
 * lost mid-copy and is taken over; a `retryable` copy is claimed only once its backoff has passed.
 * @returns the claim, or undefined when the copy is done, being made, or waiting for its backoff
 * @example
 * const claim = await claimCopy(sql, imageId, { now, leaseSeconds: 120 });
 */
export async function claimCopy(
  sql: Sql,
  imageId: string,
  { now, leaseSeconds }: { now: Date; leaseSeconds: number },
): Promise<CopyClaim | undefined> {
  const leaseBefore = new Date(now.getTime() - leaseSeconds * 1000);
  const [row] = await sql<
    { id: string; book_id: string; position: number; source_url: string; copy_version: number; copy_attempts: number }[]
  >`
    UPDATE book_images SET copy_status = 'copying', copy_version = copy_version + 1, copy_attempts = copy_attempts + 1,
      copy_claimed_at = ${now}
    WHERE id = ${imageId} AND copy_status IN ${sql(copyAllowedFrom("copying"))}
      AND (copy_status = 'pending'
           OR (copy_status = 'retryable' AND (copy_retry_at IS NULL OR copy_retry_at <= ${now}))
           OR (copy_status = 'copying' AND copy_claimed_at <= ${leaseBefore}))
    RETURNING id, book_id, position, source_url, copy_version, copy_attempts`;
  return (
    row && {
      imageId: row.id,
      bookId: row.book_id,
      position: row.position,
      sourceUrl: row.source_url,
      version: row.copy_version,
      attempt: row.copy_attempts,
    }
  );
}

export type CopyOutcome =
  | { status: "copied"; key: string; contentType: string; byteSize: number }
  /** Transient: tried again (re-import, sweep) from `retryAt`. */
  | { status: "retryable"; reason: string; retryAt: Date }
  /** Permanent: nothing will make this photo copy. */
  | { status: "failed"; reason: string };

/** Records the claim's outcome. False when the claim was taken over (a lease expired) — nothing changes then. */
export async function finishCopy(sql: Sql, claim: Pick<CopyClaim, "imageId" | "version">, outcome: CopyOutcome): Promise<boolean> {
  const to: CopyStatus = outcome.status;
  if (!copyAllowedFrom(to).includes("copying")) throw new Error(`photo copy: no transition copying → ${to}`);
  const copied = outcome.status === "copied" ? outcome : undefined;
  const reason = outcome.status === "copied" ? null : outcome.reason.slice(0, 1000);
  const retryAt = outcome.status === "retryable" ? outcome.retryAt : null;
  const rows = await sql`
    UPDATE book_images SET copy_status = ${to}, copy_version = copy_version + 1, copy_error = ${reason},
      copy_retry_at = ${retryAt}, copy_claimed_at = NULL,
      s3_key = coalesce(${copied?.key ?? null}, s3_key), content_type = coalesce(${copied?.contentType ?? null}, content_type),
      byte_size = coalesce(${copied?.byteSize ?? null}::int, byte_size)
    WHERE id = ${claim.imageId} AND copy_status = 'copying' AND copy_version = ${claim.version}
    RETURNING id`;
  return rows.length > 0;
}

/** Photos of a book whose copy is to be made, retried or taken over now (a lost claim past its lease), by position (read only). */
export async function copiesToMake(
  sql: Sql,
  bookId: string,
  { now, leaseSeconds }: { now: Date; leaseSeconds: number },
): Promise<string[]> {
  const leaseBefore = new Date(now.getTime() - leaseSeconds * 1000);
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM book_images
    WHERE book_id = ${bookId}
      AND (copy_status = 'pending'
           OR (copy_status = 'retryable' AND (copy_retry_at IS NULL OR copy_retry_at <= ${now}))
           OR (copy_status = 'copying' AND copy_claimed_at <= ${leaseBefore}))
    ORDER BY position`;
  return rows.map((r) => r.id);
}

/** Retryable copies due now, across books, oldest due first (the sweep's read). */
export async function copiesDue(sql: Sql, now: Date, limit: number): Promise<{ imageId: string; bookId: string }[]> {
  const rows = await sql<{ id: string; book_id: string }[]>`
    SELECT id, book_id FROM book_images
    WHERE copy_status = 'retryable' AND (copy_retry_at IS NULL OR copy_retry_at <= ${now})
    ORDER BY copy_retry_at NULLS FIRST LIMIT ${limit}`;
  return rows.map((r) => ({ imageId: r.id, bookId: r.book_id }));
}
