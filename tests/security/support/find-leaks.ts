/**
 * Looks for secret values in what a stack wrote (its processes' logs) and answered (response
 * bodies). A secret that leaks is reported by its name and where it was found, never by value,
 * so the test's own failure message does not print it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface NamedSecret {
  name: string;
  value: string;
}

export interface Text {
  source: string;
  text: string;
}

/**
 * Every secret a stack started by `scripts/dev.mjs` holds: the API key, each emulator principal's
 * secret key (`aws/credentials.json`), the principals' seed and the eBay client secret derived
 * from it (`scripts/lib/local-aws.ts`), plus whatever the caller adds (a database password).
 * @example
 * const secrets = stackSecrets(stack.dataDir, stack.apiKey, [{ name: "db password", value: pw }]);
 */
export function stackSecrets(dataDir: string, apiKey: string, extra: NamedSecret[] = []): NamedSecret[] {
  const secrets: NamedSecret[] = [{ name: "API key", value: apiKey }, ...extra];
  const credentials = JSON.parse(readFileSync(join(dataDir, "aws", "credentials.json"), "utf8")) as Record<
    string,
    { secretAccessKey: string }
  >;
  for (const [principal, c] of Object.entries(credentials))
    secrets.push({ name: `${principal} secret access key`, value: c.secretAccessKey });
  const seed = readFileSync(join(dataDir, "aws", "principals.seed"), "utf8").trim();
  secrets.push({ name: "principals seed", value: seed }, { name: "eBay client secret", value: seed.slice(0, 24) });
  for (const s of secrets) if (s.value.length < 8) throw new Error(`secret "${s.name}" is too short to search for reliably`);
  return secrets;
}

/** The stack's process logs (`$DATA_DIR/logs/*.log`), one text per file. */
export function stackLogs(dataDir: string): Text[] {
  const dir = join(dataDir, "logs");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .map((f) => ({ source: `logs/${f}`, text: readFileSync(join(dir, f), "utf8") }));
}

/**
 * Where any secret appears (as is, URL-encoded or base64-encoded): `"<source>:<line>: <secret name>"`.
 * @example
 * expect(findLeaks([...stackLogs(dir), ...bodies], secrets)).toEqual([]);
 */
export function findLeaks(texts: Text[], secrets: NamedSecret[]): string[] {
  const needles = secrets.flatMap((s) =>
    [...new Set([s.value, encodeURIComponent(s.value), Buffer.from(s.value).toString("base64")])].map((v) => ({ name: s.name, v })),
  );
  const leaks: string[] = [];
  for (const { source, text } of texts) {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      for (const n of needles) if (line.includes(n.v)) leaks.push(`${source}:${i + 1}: ${n.name}`);
    });
  }
  return [...new Set(leaks)];
}
