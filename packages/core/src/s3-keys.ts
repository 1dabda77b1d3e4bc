/**
 * The S3 key layout. Keys are deterministic so a retried copy or a redelivered job writes
 * the same object instead of a second one.
 *
 *     books/<bookId>/images/<imageId>/original.<ext>
 *     books/<bookId>/images/<imageId>/processed.png
 */
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const extensions = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif" } as const;
export type ImageMime = keyof typeof extensions;

function check(id: string, what: string): string {
  if (!uuid.test(id)) throw new Error(`${what} must be a UUID, got ${JSON.stringify(id)}`);
  return id.toLowerCase();
}

/** @example originalKey(bookId, imageId, "image/jpeg") // "books/…/images/…/original.jpg" */
export function originalKey(bookId: string, imageId: string, mime: ImageMime): string {
  return `books/${check(bookId, "bookId")}/images/${check(imageId, "imageId")}/original.${extensions[mime]}`;
}

/** @example processedKey(bookId, imageId) // "books/…/images/…/processed.png" */
export function processedKey(bookId: string, imageId: string): string {
  return `books/${check(bookId, "bookId")}/images/${check(imageId, "imageId")}/processed.png`;
}

/** Processed key for the original key of the same image. */
export function processedKeyFor(sourceKey: string): string {
  const m = /^books\/([^/]+)\/images\/([^/]+)\/original\.[a-z]+$/.exec(sourceKey);
  if (!m) throw new Error(`not an original image key: ${JSON.stringify(sourceKey)}`);
  return processedKey(m[1], m[2]);
}
