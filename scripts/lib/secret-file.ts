import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * A secret kept in a file of the data folder (mode 0600), so a restarted stack keeps it:
 * read when the file exists, otherwise made by `make()` and written. Never printed.
 *
 * @example
 * const seed = secretFile(join(dir, "principals.seed"), () => randomBytes(32).toString("hex"));
 */
export function secretFile(path: string, make: () => string): string {
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const value = make();
  writeFileSync(path, value, { mode: 0o600 });
  return value;
}
