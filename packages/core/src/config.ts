/**
 * Environment → typed config, once, at start.
 *
 * An empty string counts as missing: an empty API key in a function's environment once
 * caused silent 401s in production. All problems are reported together, each naming its
 * variable, so one failed start tells the whole story.
 */
import { z } from "zod";

/** Thrown by `loadConfig`; `problems` has one line per bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** A required, non-empty string (whitespace-only is empty too). */
export const requiredString = () =>
  z
    .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
    .trim()
    .min(1, "is required (it is empty)");

/** An optional string where empty means unset. */
export const optionalString = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** An integer from the environment (`"3000"` → 3000). */
export const envInt = (defaultValue?: number) => {
  const base = z.preprocess(
    // Only digit strings become numbers, so an error quotes what was actually set ("eighty", not NaN).
    (v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : typeof v === "string" && v.trim() === "" ? undefined : v),
    z
      .number({ error: (i) => (i.input === undefined ? "is required" : `must be an integer, got "${String(i.input)}"`) })
      .int("must be an integer"),
  );
  return defaultValue === undefined ? base : base.default(defaultValue);
};

/** A boolean from the environment: true/false/1/0/yes/no. */
export const envBool = (defaultValue: boolean) =>
  z.preprocess(
    (v) => {
      if (v === undefined || v === "") return undefined;
      const s = String(v).toLowerCase();
      if (["1", "true", "yes", "on"].includes(s)) return true;
      if (["0", "false", "no", "off"].includes(s)) return false;
      return v;
    },
    z.boolean({ error: (i) => `must be true or false, got "${String(i.input)}"` }).default(defaultValue),
  );

/** A URL from the environment. */
export const envUrl = () => requiredString().pipe(z.url({ error: (i) => `must be a URL, got "${String(i.input)}"` }));

/**
 * Parses `env` with a zod object schema whose keys are variable names.
 * @example
 * const config = loadConfig(z.object({ IMAGE_BUCKET: requiredString(), PORT: envInt(3000) }));
 * // throws ConfigError("Invalid configuration:\n  - IMAGE_BUCKET is required (it is empty)")
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined> = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.length ? issue.path.join(".") : "(environment)";
    return `${name} ${issue.message}`;
  });
  throw new ConfigError([...new Set(problems)]);
}
