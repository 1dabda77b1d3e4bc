/** Keyset paging cursors: opaque base64url of (timestamp, id); a tampered cursor is a 400, not a 500. */
import { HTTPException } from "hono/http-exception";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString("base64url");
}

export function decodeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const date = new Date(at ?? "");
  if (!id || !uuid.test(id) || Number.isNaN(date.getTime())) throw new HTTPException(400, { message: "invalid cursor" });
  return { at: date, id };
}
