/**
 * A lint for the emulator's sources: no key that could come from a request is written onto a
 * plain object (where `__proto__` is the prototype's setter). Maps keyed by input are wire
 * records (`wireRecord()`) or `Map`s. It flags, in every non-test file of services/emulator/src:
 * - a computed-key write `name[key] = …` onto a variable initialised with `{}`, unless the key
 *   starts with literal text (`out[\`x-amz-meta-${k}\`]` can never be `__proto__`);
 * - `??= {}` (a tree grown from input paths);
 * - `Object.assign(target, source)` with a source that is not an object literal.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";

const srcDir = join(repoRoot, "services/emulator/src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Findings as `file:line: text`. */
function plainObjectWrites(file: string, text: string): string[] {
  const found: string[] = [];
  const lines = text.split("\n");
  const plain = new Set<string>();
  for (const m of text.matchAll(/\b(?:const|let|var)\s+(\w+)\s*(?::[^=;]+)?=\s*\{\s*\}/g)) plain.add(m[1]);
  for (const m of text.matchAll(/^\s*(?:readonly\s+|private\s+|public\s+)*(\w+)\s*(?::[^=;]+)?=\s*\{\s*\};/gm)) plain.add(m[1]);
  lines.forEach((line, i) => {
    const at = `${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`;
    if (/\?\?=\s*\{\s*\}/.test(line)) found.push(at);
    const assign = /Object\.assign\(\s*[\w.]+\s*,\s*([^)]*)/.exec(line);
    if (assign && !assign[1].trimStart().startsWith("{")) found.push(at);
    for (const w of line.matchAll(/\b(\w+)\[([^\]]+)\]\s*(?:\?\?=|=(?!=))/g)) {
      const [, name, key] = w;
      if (!plain.has(name)) continue;
      const k = key.trim();
      const literalStart = /^["']/.test(k) || /^`[^$]/.test(k);
      if (!literalStart) found.push(at);
    }
  });
  return found;
}

describe("input-fed writes onto plain objects", () => {
  it("the lint finds the patterns it is meant to find", () => {
    const bad = [
      "const tree = {};",
      "for (const p of path) node = node[p] ??= {};",
      "tree[key] = value;",
      "Object.assign(queue.tags, input.Tags);",
      "const ok: Record<string, string> = {};",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text the lint reads, not a template.
      "ok[`x-amz-meta-${k}`] = v;",
      'ok["fixed"] = v;',
    ].join("\n");
    expect(plainObjectWrites("x.ts", bad).map((f) => f.replace(/^.*?: /, ""))).toEqual([
      "for (const p of path) node = node[p] ??= {};",
      "tree[key] = value;",
      "Object.assign(queue.tags, input.Tags);",
    ]);
  });

  it("finds none in the emulator's sources", () => {
    const files = sources(srcDir);
    expect(files.length).toBeGreaterThan(40);
    expect(files.flatMap((f) => plainObjectWrites(f, readFileSync(f, "utf8")))).toEqual([]);
  });
});
