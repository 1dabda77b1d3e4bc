/**
 * `POST /api/v1/books/import/ebay`: listing → book → photos copied to S3 → first copied photo queued.
 *
 * The book and its photo rows are inserted in one transaction with `ON CONFLICT DO NOTHING`
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
import { type ImageJob, type ImageJobRow, toImageJob } from "../jobs/image-job.ts";
import { queueImageProcessing } from "../jobs/queue-image-processing.ts";
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
  const inserted = await sql.begin(async (tx) => {
    const [book] = await tx<{ id: string }[]>`
      INSERT INTO books (source, source_item_id, title, price_value, price_currency, condition, seller, item_url, specifics, created_at, updated_at)
      VALUES ('ebay', ${itemId}, ${listing.title}, ${listing.price?.value ?? null}, ${listing.price?.currency ?? null},
              ${listing.condition}, ${listing.seller}, ${listing.itemUrl}, ${tx.json(listing.specifics)}, ${now}, ${now})
      ON CONFLICT (source, source_item_id) DO NOTHING
      RETURNING id`;
    if (!book) return undefined;
    const images = listing.imageUrls.length
      ? await tx<{ id: string; position: number; source_url: string }[]>`
          INSERT INTO book_images ${tx(listing.imageUrls.map((url, position) => ({ book_id: book.id, position, source_url: url })))}
          RETURNING id, position, source_url`
      : [];
    return { bookId: book.id, images: images.sort((a, b) => a.position - b.position) };
  });
  if (!inserted) {
    // Lost the race to a concurrent import of the same listing.
    const [row] = await sql<{ id: string }[]>`SELECT id FROM books WHERE source = 'ebay' AND source_item_id = ${itemId}`;
    return existingResult(deps, row.id);
  }
  const { bookId, images } = inserted;
  const bookLog = log.child({ bookId });

  const copies = await mapLimit(images, deps.config.COPY_CONCURRENCY, async (image) => {
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
      await sql`
        UPDATE book_images SET copy_status = 'copied', copy_error = NULL, s3_key = ${key}, content_type = ${fetched.mime}, byte_size = ${fetched.bytes.length}
        WHERE id = ${image.id}`;
      return { image, key };
    } catch (error) {
      const reason = error instanceof ImageFetchError ? `${error.reason}: ${error.message}` : `upload_failed: ${errorMessage(error)}`;
      bookLog.warn("photo not copied", { imageId: image.id, position: image.position, reason });
      await sql`UPDATE book_images SET copy_status = 'failed', copy_error = ${reason.slice(0, 1000)} WHERE id = ${image.id}`;
      return undefined;
    }
  });

  let job: ImageJobRow | undefined;
  const primary = copies.find((c) => c !== undefined);
  if (primary) {
    await sql`UPDATE book_images SET is_primary = true WHERE id = ${primary.image.id}`;
    job = await queueImageProcessing({ ...deps, log: bookLog }, { id: primary.image.id, bookId, s3Key: primary.key });
  } else {
    bookLog.warn("no photo of the listing could be copied; nothing queued");
  }
  bookLog.info("listing imported", { photos: images.length, copied: copies.filter(Boolean).length, jobId: job?.id });
  return { created: true, book: (await loadBookDetail(deps, bookId))!, job: job ? toImageJob(job) : null };
}

async function existingResult(deps: Deps, bookId: string): Promise<ImportResult> {
  const [job] = await deps.sql<ImageJobRow[]>`
    SELECT j.*, i.book_id FROM image_jobs j JOIN book_images i ON i.id = j.image_id
    WHERE i.book_id = ${bookId} AND i.is_primary ORDER BY j.created_at DESC LIMIT 1`;
  return { created: false, book: (await loadBookDetail(deps, bookId))!, job: job ? toImageJob(job) : null };
}
