/**
 * Hot reload's eyes: `fs.watch` (recursive; Linux has it since Node 20) on the folders whose
 * code runs in `npm start`, debounced, sorted into what has to reload. Only the source folders
 * are watched, never the repository root, so node_modules costs no inotify watches.
 */
import { existsSync, type FSWatcher, watch } from "node:fs";
import { join, sep } from "node:path";

export type ReloadKind = "api" | "worker" | "manifest";

/** What a change to a file means, or undefined for files no running process loads. */
export function reloadKinds(file: string): ReloadKind[] {
  const path = file.split(sep).join("/");
  if (/(^|\/)(node_modules|\.local|dist|coverage)(\/|$)/.test(path)) return [];
  if (/\.test\.[cm]?[jt]sx?$/.test(path) || /(^|\/)(tests?|__tests__|fixtures)\//.test(path.replace(/^services\/ebay-fixture\//, "")))
    return [];
  if (path === "pipeline.json") return ["manifest"];
  if (!/\.([cm]?[jt]sx?|json|sql|html|css)$/.test(path)) return [];
  if (path.startsWith("packages/core/")) return ["api", "worker"];
  if (path.startsWith("services/api/")) return ["api"];
  if (path.startsWith("services/worker/")) return ["worker"];
  return [];
}

export interface SourceWatcherOptions {
  root: string;
  /** Called once per quiet period with the changed files (relative to root) per kind. */
  onChange: (changes: Map<ReloadKind, string[]>) => void;
  debounceMs?: number;
}

/**
 * @example
 * const watcher = watchSources({ root, onChange: (changes) => reload(changes) });
 * // … on shutdown
 * watcher.close();
 */
export function watchSources({ root, onChange, debounceMs = 250 }: SourceWatcherOptions): { close(): void } {
  const pending = new Map<ReloadKind, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  const seen = (file: string) => {
    const kinds = reloadKinds(file);
    if (!kinds.length) return;
    for (const kind of kinds) {
      if (!pending.has(kind)) pending.set(kind, new Set());
      pending.get(kind)?.add(file);
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      const changes = new Map([...pending].map(([kind, files]) => [kind, [...files].sort()]));
      pending.clear();
      onChange(changes);
    }, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  for (const dir of ["packages/core", "services/api", "services/worker"]) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    watchers.push(watch(abs, { recursive: true }, (_event, name) => name && seen(join(dir, name.toString()))));
  }
  // pipeline.json: watch the folder, not the file — editors save by renaming a new file over it.
  watchers.push(watch(root, (_event, name) => name?.toString() === "pipeline.json" && seen("pipeline.json")));
  for (const w of watchers) w.on("error", () => {});
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
