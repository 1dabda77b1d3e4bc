/** Inserts a book, its primary photo (uploaded to S3) and a `queued` job; returns the SQS body. */
import { randomUUID } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { originalKey, type Sql, serializeImageJobMessage } from "@bluemoxon/core";

export interface SeededJob {
  body: string;
  jobId: string;
  bookId: string;
  imageId: string;
  sourceKey: string;
}

export async function seedJob(sql: Sql, s3: S3Client, bucket: string, photo: Uint8Array | null): Promise<SeededJob> {
  const [book] = await sql<{ id: string }[]>`
    INSERT INTO books (source, source_item_id, title) VALUES ('ebay', ${randomUUID()}, 'A test book') RETURNING id`;
  const imageId = randomUUID();
  const sourceKey = originalKey(book.id, imageId, "image/jpeg");
  await sql`
    INSERT INTO book_images (id, book_id, position, source_url, copy_status, s3_key, content_type, byte_size, is_primary)
    VALUES (${imageId}, ${book.id}, 0, 'https://i.ebayimg.test/x.jpg', 'copied', ${sourceKey}, 'image/jpeg', ${photo?.length ?? 0}, true)`;
  const [job] = await sql<{ id: string }[]>`
    INSERT INTO image_jobs (image_id, status, queued_at) VALUES (${imageId}, 'queued', now()) RETURNING id`;
  if (photo) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: sourceKey, Body: photo, ContentType: "image/jpeg" }));
  const body = serializeImageJobMessage({ v: 1, jobId: job.id, bookId: book.id, imageId, sourceKey });
  return { body, jobId: job.id, bookId: book.id, imageId, sourceKey };
}

export async function jobRow(sql: Sql, jobId: string) {
  const [row] = await sql<{ status: string; attempts: number; last_error: string | null; processed_key: string | null }[]>`
    SELECT j.status, j.attempts, j.last_error, i.processed_key
    FROM image_jobs j JOIN book_images i ON i.id = j.image_id WHERE j.id = ${jobId}`;
  return row;
}
