/** The JSON Schema of `pipeline.json`, generated from the zod schema so the two cannot drift. */
import { z } from "zod";
import { manifestSchema } from "./manifest.ts";

/** @example writeFileSync("pipeline.schema.json", JSON.stringify(manifestJsonSchema())) */
export function manifestJsonSchema(): Record<string, unknown> {
  return { title: "BlueMoxon pipeline manifest", ...z.toJSONSchema(manifestSchema, { io: "input", unrepresentable: "any" }) };
}
