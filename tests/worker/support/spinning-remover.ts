/**
 * A stand-in engine for the removal thread: bytes starting 0xff spin the CPU forever (as a stuck
 * inference does: no await, so nothing but terminating the thread stops it); 0xee fail as a bad
 * photo; anything else answers at once with a 1×1 "PNG" naming the thread.
 */
import { threadId } from "node:worker_threads";
import { UndecodableImageError } from "../../../services/worker/src/errors.ts";

export async function createRemover() {
  return {
    async remove(bytes: Uint8Array) {
      if (bytes[0] === 0xff) for (;;) {}
      if (bytes[0] === 0xee) throw new UndecodableImageError("not a photo");
      return { png: Buffer.from(`thread ${threadId}`), width: 1, height: 1 };
    },
  };
}
