/** The image-processing queue message, version 1. Validated on both ends. */
import { z } from "zod";

export const imageJobMessageSchema = z
  .object({
    v: z.literal(1),
    jobId: z.uuid(),
    bookId: z.uuid(),
    imageId: z.uuid(),
    sourceKey: z.string().min(1).max(1024),
  })
  .strict();

export type ImageJobMessage = z.output<typeof imageJobMessageSchema>;

export class InvalidMessageError extends Error {
  override name = "InvalidMessageError";
}

/**
 * Parses a raw SQS body. Throws `InvalidMessageError` with a readable reason.
 * @example
 * const msg = parseImageJobMessage(record.body);
 */
export function parseImageJobMessage(body: string): ImageJobMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidMessageError(`message body is not JSON: ${JSON.stringify(body.slice(0, 80))}`);
  }
  const result = imageJobMessageSchema.safeParse(json);
  if (!result.success) {
    const why = result.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    throw new InvalidMessageError(`invalid image job message: ${why}`);
  }
  return result.data;
}

/** @example serializeImageJobMessage({ v: 1, jobId, bookId, imageId, sourceKey }) */
export function serializeImageJobMessage(message: ImageJobMessage): string {
  return JSON.stringify(imageJobMessageSchema.parse(message));
}
