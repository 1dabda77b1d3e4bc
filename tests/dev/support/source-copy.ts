/**
 * A throwaway copy of the checkout for tests that edit sources (hot reload): the code folders
 * are copied, `node_modules` is a folder of symlinks to the real one's entries — except the
 * workspace packages (`@bluemoxon/*`), whose relative links then point into the copy, so the
 * copy runs its own core, API and worker. The real checkout's files are never touched.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@bluemoxon/core";

export interface SourceCopy {
  root: string;
  /** Replaces `from` (which must occur) with `to` in a file of the copy. */
  edit(file: string, from: string, to: string): void;
  remove(): void;
}

export function copySources(): SourceCopy {
  const root = mkdtempSync(join(tmpdir(), "bmx-src-"));
  const skip = (src: string) => !/[/\\](node_modules|\.local|dist|coverage)([/\\]|$)/.test(src.slice(repoRoot.length));
  for (const entry of ["packages", "services", "scripts", "pipeline.json", "tsconfig.json", "package.json"]) {
    cpSync(join(repoRoot, entry), join(root, entry), { recursive: true, filter: skip });
  }
  const modules = join(root, "node_modules");
  mkdirSync(modules);
  for (const name of readdirSync(join(repoRoot, "node_modules"))) {
    if (name === "@bluemoxon")
      cpSync(join(repoRoot, "node_modules", name), join(modules, name), { recursive: true, verbatimSymlinks: true });
    else symlinkSync(join(repoRoot, "node_modules", name), join(modules, name));
  }
  return {
    root,
    edit(file, from, to) {
      const path = join(root, file);
      const text = readFileSync(path, "utf8");
      if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
      writeFileSync(path, text.replace(from, to));
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
