/** A promotion step failed; its message is what the operator reads (promote.ts prints it). */
export class PromotionError extends Error {
  override name = "PromotionError";
}
