/** Writes `packages/core/pipeline.schema.json` (editor completion for `pipeline.json`). Run: `npm run manifest:schema`. */
import { writeFileSync } from "node:fs";
import { manifestJsonSchema } from "./manifest-json-schema.ts";

const target = new URL("../pipeline.schema.json", import.meta.url);
writeFileSync(target, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
