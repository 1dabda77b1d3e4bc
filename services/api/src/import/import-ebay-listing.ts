/**
 * `POST /api/v1/books/import/ebay`: listing → book → photos copied to S3 → first copied photo queued.
 *
 * The book and its photo rows are inserted by one statement with `ON CONFLICT DO NOTHING`
 * on (source, item id), so two concurrent imports of one listing create one book; the loser
 * returns the existing book (200). Photo failures are recorded per photo and never fail the
 * import; the photo queued is the first one that actually copied, not position 0.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { errorMessage, originalKey } from "@bluemoxon/core";
import type { ApiDeps } from "../api-deps.ts";
import { type BookDetail, loadBookDetail } from "../books/load-book-detail.ts";
import { parseListingUrl } from "../ebay/parse-listing-url.ts";
import { ImageFetchError } from "../errors.ts";
import { type ImageJob, type ImageJobRow, loadImageJob, toImageJob } from "../jobs/image-job.ts";
import { sendImageJob } from "../jobs/queue-image-processing.ts";
import { fetchGuardedImage } from "./fetch-guarded-image.ts";
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

  const copies = await mapLimit(images, deps.config.COPY_CONCURRENCY, (image) => copyPhoto(deps, bookId, image, bookLog));

  let job: ImageJobRow | undefined;
  if (copies.some((c) => c !== undefined)) {
    job = await queuePhotoOnce({ ...deps, log: bookLog }, bookId);
  } else {
    bookLog.warn("no photo of the listing could be copied; nothing queued");
  }
  bookLog.info("listing imported", { photos: images.length, copied: copies.filter(Boolean).length, jobId: job?.id });
  return { created: true, book: (await loadBookDetail(deps, bookId))!, job: job ? toImageJob(job) : null };
}

async function existingResult(deps: Deps, bookId: string): Promise<ImportResult> {
  let [job]: (ImageJobRow | undefined)[] = await deps.sql<ImageJobRow[]>`
    SELECT j.*, i.book_id FROM image_jobs j JOIN book_images i ON i.id = j.image_id
    WHERE i.book_id = ${bookId} AND i.is_primary ORDER BY j.created_at DESC LIMIT 1`;
  job ??= await resumeImport(deps, bookId);
  return { created: false, book: (await loadBookDetail(deps, bookId))!, job: job ? toImageJob(job) : null };
}

/**
 * An import cut off after its transaction (the API killed, the database connection lost) leaves
 * photos `pending` or a copied photo without a job, and nothing else ever looks at those. The
 * client's retry of the import — a repeated import of the same listing — finishes that work.
 */
async function resumeImport(deps: Deps, bookId: string): Promise<ImageJobRow | undefined> {
  const log = deps.log.child({ bookId });
  const pending = await deps.sql<PhotoRow[]>`
    SELECT id, position, source_url FROM book_images WHERE book_id = ${bookId} AND copy_status = 'pending' ORDER BY position`;
  await mapLimit(pending, deps.config.COPY_CONCURRENCY, (image) => copyPhoto(deps, bookId, image, log));
  return queuePhotoOnce({ ...deps, log }, bookId);
}

/**
 * Queues the book's first copied photo (by position) as its primary — unless the book already
 * has a job, so an import and a re-import of the same listing leave one job between them. One
 * statement, no transaction: postgres.js 3.4.9 crashes the process when a connection dies inside
 * a transaction (porsager/postgres#1208), and losing the connection is what this path is for.
 */
async function queuePhotoOnce(deps: Deps, bookId: string): Promise<ImageJobRow | undefined> {
  const { sql } = deps;
  const now = deps.clock.now();
  // The job and the primary flag are written by the same statement: a connection lost between
  // two statements would leave a job whose photo is not the book's primary.
  const [claimed] = await sql<{ id: string; image_id: string; s3_key: string }[]>`
    WITH photo AS (
      SELECT i.id, i.s3_key FROM book_images i
      WHERE i.book_id = ${bookId} AND i.copy_status = 'copied'
        AND NOT EXISTS (SELECT 1 FROM image_jobs j JOIN book_images x ON x.id = j.image_id WHERE x.book_id = ${bookId})
      ORDER BY i.is_primary DESC, i.position LIMIT 1
    ), job AS (
      INSERT INTO image_jobs (image_id, status, created_at, updated_at)
      SELECT id, 'pending', ${now}, ${now} FROM photo
      ON CONFLICT (image_id) WHERE status IN ('pending', 'queued', 'queue_failed', 'processing') DO NOTHING
      RETURNING id, image_id
    ), flag AS (
      UPDATE book_images SET is_primary = true
      WHERE id IN (SELECT image_id FROM job)
        AND NOT EXISTS (SELECT 1 FROM book_images WHERE book_id = ${bookId} AND is_primary)
    )
    SELECT job.id, job.image_id, photo.s3_key FROM job JOIN photo ON photo.id = job.image_id`;
  if (!claimed) {
    const [latest] = await sql<{ id: string; image_id: string }[]>`
      SELECT j.id, j.image_id FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE i.book_id = ${bookId}
      ORDER BY j.created_at DESC LIMIT 1`;
    if (!latest) return undefined;
    // Repairs a book left with a job but no primary photo by an older version of this code.
    await sql`
      UPDATE book_images SET is_primary = true
      WHERE id = ${latest.image_id} AND NOT EXISTS (SELECT 1 FROM book_images WHERE book_id = ${bookId} AND is_primary)`;
    return loadImageJob(sql, latest.id);
  }
  await sendImageJob(deps, { jobId: claimed.id, bookId, imageId: claimed.image_id, sourceKey: claimed.s3_key }, "pending");
  return loadImageJob(sql, claimed.id);
}

type PhotoRow = { id: string; position: number; source_url: string };

/**
 * Downloads one listing photo (guarded) into the bucket and records the outcome on its row. A
 * download or upload that fails marks the photo `failed` with the reason. A database error is
 * not the photo's fault: it propagates (the import answers 5xx) and the photo stays `pending`,
 * so the client's retry of the import copies it again (same key) and records it.
 */
async function copyPhoto(
  deps: Deps,
  bookId: string,
  image: PhotoRow,
  log: Deps["log"],
): Promise<{ image: PhotoRow; key: string } | undefined> {
  const { sql } = deps;
  let copied: { key: string; mime: string; bytes: number };
  try {
    const fetched = await fetchGuardedImage(image.source_url, {
      allowedHosts: deps.config.EBAY_IMAGE_HOSTS,
      privateHostsAllowed: deps.config.PRIVATE_IMAGE_HOSTS_ALLOWED,
      maxBytes: deps.config.IMAGE_MAX_BYTES,
      timeoutMs: deps.config.IMAGE_FETCH_TIMEOUT_MS,
      maxRedirects: deps.config.IMAGE_MAX_REDIRECTS,
    });
    const key = originalKey(bookId, image.id, fetched.mime);
    await deps.aws.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: key,
        Body: fetched.bytes,
        ContentType: fetched.mime,
        ContentLength: fetched.bytes.length,
      }),
    );
    copied = { key, mime: fetched.mime, bytes: fetched.bytes.length };
  } catch (error) {
    const reason = error instanceof ImageFetchError ? `${error.reason}: ${error.message}` : `upload_failed: ${errorMessage(error)}`;
    log.warn("photo not copied", { imageId: image.id, position: image.position, reason });
    await sql`UPDATE book_images SET copy_status = 'failed', copy_error = ${reason.slice(0, 1000)} WHERE id = ${image.id}`;
    return undefined;
  }
  await sql`
    UPDATE book_images SET copy_status = 'copied', copy_error = NULL, s3_key = ${copied.key}, content_type = ${copied.mime}, byte_size = ${copied.bytes}
    WHERE id = ${image.id}`;
  return { image, key: copied.key };
}
