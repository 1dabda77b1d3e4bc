/**
 * `POST /api/v1/books/import/ebay`: listing → book → photos copied to S3 → first copied photo queued.
 *
 * The book and its photo rows are inserted by one statement with `ON CONFLICT DO NOTHING`
 * on (source, item id), so two concurrent imports of one listing create one book; the loser
 * returns the existing book (200). Photo failures are recorded per photo and never fail the
 * import; the photo queued is the first one that actually copied, not position 0.
 */
import { copiesToMake } from "@bluemoxon/core";
import type { ApiDeps } from "../api-deps.ts";
import { type BookDetail, loadBookDetail } from "../books/load-book-detail.ts";
import { parseListingUrl } from "../ebay/parse-listing-url.ts";
import { type ImageJob, type ImageJobRow, toImageJob } from "../jobs/image-job.ts";
import { queueImageProcessing } from "../jobs/queue-image-processing.ts";
import { copyPhoto } from "./copy-photo.ts";
import { mapLimit } from "./map-limit.ts";

export interface ImportResult {
  created: boolean;
  book: BookDetail;
  job: ImageJob | null;
}

type Deps = Pick<ApiDeps, "sql" | "aws" | "bucket" | "config" | "ebay" | "queues" | "log" | "clock">;

/**
 * @example
 * const { created, book, job } = await importEbayListing(deps, "https://www.ebay.com/itm/315209876543");
 */
export async function importEbayListing(deps: Deps, listingUrl: string): Promise<ImportResult> {
  const { sql } = deps;
  const itemId = parseListingUrl(listingUrl);
  const log = deps.log.child({ ebayItemId: itemId });

  const [existing] = await sql<{ id: string }[]>`SELECT id FROM books WHERE source = 'ebay' AND source_item_id = ${itemId}`;
  if (existing) return existingResult(deps, existing.id);

  const listing = await deps.ebay.getItemByLegacyId(itemId);
  const now = deps.clock.now();
  // One statement, no transaction: postgres.js 3.4.9 crashes the process when a connection
  // dies inside `sql.begin` (porsager/postgres#1208). The photos are inserted only if the book
  // was, so a lost connection leaves either both or neither.
  const rows = await sql<{ book_id: string; id: string | null; position: number | null; source_url: string | null }[]>`
    WITH book AS (
      INSERT INTO books (source, source_item_id, title, price_value, price_currency, condition, seller, item_url, specifics, created_at, updated_at)
      VALUES ('ebay', ${itemId}, ${listing.title}, ${listing.price?.value ?? null}, ${listing.price?.currency ?? null},
              ${listing.condition}, ${listing.seller}, ${listing.itemUrl}, ${sql.json(listing.specifics)}, ${now}, ${now})
      ON CONFLICT (source, source_item_id) DO NOTHING
      RETURNING id
    ), photos AS (
      INSERT INTO book_images (book_id, position, source_url)
      SELECT book.id, (p.ord - 1)::int, p.url FROM book, unnest(${sql.array(listing.imageUrls)}::text[]) WITH ORDINALITY AS p(url, ord)
      RETURNING id, position, source_url
    )
    SELECT book.id AS book_id, photos.id, photos.position, photos.source_url FROM book LEFT JOIN photos ON true`;
  const inserted = rows.length
    ? {
        bookId: rows[0].book_id,
        images: rows
          .filter((r): r is PhotoRow & { book_id: string } => r.id !== null)
          .map(({ id, position, source_url }) => ({ id, position, source_url }))
          .sort((a, b) => a.position - b.position),
      }
    : undefined;
  if (!inserted) {
    // Lost the race to a concurrent import of the same listing.
    const [row] = await sql<{ id: string }[]>`SELECT id FROM books WHERE source = 'ebay' AND source_item_id = ${itemId}`;
    return existingResult(deps, row.id);
  }
  const { bookId, images } = inserted;
  const bookLog = log.child({ bookId });
  const copies = await mapLimit(images, deps.config.COPY_CONCURRENCY, (image) => copyPhoto({ ...deps, log: bookLog }, image.id));
  const job = await queueImageProcessing({ ...deps, log: bookLog }, { bookId });
  if (!job) bookLog.warn("no photo of the listing could be copied yet; nothing queued");
  bookLog.info("listing imported", { photos: images.length, copied: copies.filter((c) => c?.status === "copied").length, jobId: job?.id });
  return { created: true, book: (await loadBookDetail(deps, bookId))!, job: job ? toImageJob(job) : null };
}

/**
 * A repeated import of the same listing finishes what is left: an import cut off after its first
 * statement (the API killed, the connection lost) left photos `pending`; a transient failure left
 * them `retryable`; a copied photo may have no job yet. Photos another import is copying right now
 * are claimed by it and left alone.
 */
async function existingResult(deps: Deps, bookId: string): Promise<ImportResult> {
  const log = deps.log.child({ bookId });
  const due = await copiesToMake(deps.sql, bookId, { now: deps.clock.now(), leaseSeconds: deps.config.COPY_LEASE_SECONDS });
  await mapLimit(due, deps.config.COPY_CONCURRENCY, (imageId) => copyPhoto({ ...deps, log }, imageId));
  await queueImageProcessing({ ...deps, log }, { bookId });
  const [job]: (ImageJobRow | undefined)[] = await deps.sql<ImageJobRow[]>`
    SELECT j.*, i.book_id, i.s3_key FROM image_jobs j JOIN book_images i ON i.id = j.image_id
    WHERE i.book_id = ${bookId} ORDER BY i.is_primary DESC, j.created_at DESC LIMIT 1`;
  // Repairs a book left with a job but no primary photo by an older version of this code.
  if (job)
    await deps.sql`
      UPDATE book_images SET is_primary = true
      WHERE id = ${job.image_id} AND NOT EXISTS (SELECT 1 FROM book_images WHERE book_id = ${bookId} AND is_primary)`;
  return { created: false, book: (await loadBookDetail(deps, bookId))!, job: job ? toImageJob(job) : null };
}

type PhotoRow = { id: string; position: number; source_url: string };
