/**
 * `npm run logs -- --job <id> [--dir DIR]`: one job's lines across the API, the event source
 * mapping and the worker, in time order, from the stack's log folder ($DATA_DIR/logs). A line is
 * the job's when it names the job (`jobId`), or when it is the mapping's `invocation` of a record
 * a job line names (`messageId` ∈ `messageIds` / `keptMessageIds`). Each printed line is
 * `<time> <file> <the JSON line>`. Exit 0 with lines, 1 with none, 2 on bad usage.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stackRoot } from "./start-stack.ts";

export const usage = `usage: npm run logs -- --job <id> [--dir DIR]

  --job ID    the image job whose lines to print (its id, as the API returns it)
  --dir DIR   the log folder (default: $DATA_DIR/logs, DATA_DIR defaulting to .local)`;

interface Line {
  time: string;
  file: string;
  text: string;
  fields: Record<string, unknown>;
}

function readLines(dir: string): Line[] {
  const lines: Line[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".log"))) {
    const file = basename(name, ".log");
    for (const text of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (!text.startsWith("{")) continue;
      try {
        const fields = JSON.parse(text) as Record<string, unknown>;
        if (typeof fields.time === "string") lines.push({ time: fields.time, file, text, fields });
      } catch {
        // Not a log line (a stack trace's brace, a warning).
      }
    }
  }
  return lines;
}

/** The job's lines, oldest first. */
export function jobLines(lines: Line[], jobId: string): Line[] {
  const own = lines.filter((l) => l.fields.jobId === jobId);
  const messageIds = new Set(own.flatMap((l) => (typeof l.fields.messageId === "string" ? [l.fields.messageId] : [])));
  const ranIt = (l: Line) =>
    [l.fields.messageIds, l.fields.keptMessageIds].some((ids) => Array.isArray(ids) && ids.some((id) => messageIds.has(id as string)));
  const picked = lines.filter((l) => l.fields.jobId === jobId || (messageIds.size > 0 && ranIt(l)));
  return picked.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

export function logs(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  let values: { job?: string; dir?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: { job: { type: "string" }, dir: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!values.job?.trim()) {
    console.error(`logs: --job is required\n\n${usage}`);
    return 2;
  }
  const dir = resolve(values.dir ?? join(env.DATA_DIR?.trim() || join(stackRoot, ".local"), "logs"));
  if (!existsSync(dir)) {
    console.error(`logs: no log folder at ${dir} (has npm start run with this DATA_DIR?)`);
    return 2;
  }
  const picked = jobLines(readLines(dir), values.job.trim());
  for (const l of picked) console.log(`${l.time} ${l.file.padEnd(12)} ${l.text}`);
  if (picked.length === 0) console.error(`logs: no lines of job ${values.job} in ${dir}`);
  return picked.length ? 0 : 1;
}
