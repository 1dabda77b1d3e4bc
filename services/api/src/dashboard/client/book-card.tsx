/** One book: title (linked to the listing when that is an http(s) URL), details, price and its photos. */
import type { BookDetail, Photo } from "./api-types.ts";
import { PhotoCard } from "./photo-card.tsx";

function formatPrice(price: BookDetail["price"]): string {
  if (!price) return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: price.currency }).format(Number(price.value));
  } catch {
    return `${price.value} ${price.currency}`;
  }
}

/**
 * The item URL comes from the listing (eBay's data, not ours): only http(s) becomes a link,
 * so a `javascript:` URL in a listing cannot run here.
 */
export function httpUrl(value: string | null): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function BookCard({ book, onProcess }: { book: BookDetail; onProcess: (book: BookDetail, photo: Photo) => Promise<string | null> }) {
  const titleId = `book-${book.id}-title`;
  const meta = [book.author, book.publisher, book.publicationYear, book.condition, book.seller ? `seller ${book.seller}` : null]
    .filter(Boolean)
    .join(" · ");
  return (
    <article class="book" data-book-id={book.id} aria-labelledby={titleId}>
      <header class="book-head">
        <div class="book-titles">
          <h3 class="book-title" id={titleId}>
            <a href={httpUrl(book.itemUrl)} rel="noopener noreferrer" target="_blank">
              {book.title}
            </a>
          </h3>
          <p class="book-meta">{`${meta}${meta ? " · " : ""}eBay item ${book.sourceItemId}`}</p>
        </div>
        <p class="book-price">{formatPrice(book.price)}</p>
      </header>
      <ul class="photos" aria-label="Photos">
        {book.photos.map((photo) => (
          <PhotoCard key={photo.id} photo={photo} bookTitle={book.title} onProcess={(p) => onProcess(book, p)} />
        ))}
      </ul>
    </article>
  );
}
