/**
 * Structured JSON logs, one line per entry, with context (`jobId`, `requestId`, …) attached
 * once through `child()`. Fields whose names look secret are replaced by `[REDACTED]`, and
 * values registered with `redactValue()` (API keys, passwords read at start) are masked
 * wherever they appear, even inside messages and error text.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const levels: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const secretField = /(pass(word)?|secret|token|api[-_]?key|authorization|credential|cookie|private[-_]?key|session)/i;

export interface LoggerOptions {
  level?: LogLevel;
  service?: string;
  /** Where lines go; default stdout. */
  write?: (line: string) => void;
  context?: Record<string, unknown>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(context: Record<string, unknown>): Logger;
  /** Masks this value wherever it appears in later lines of this logger and its children. */
  redactValue(value: string | undefined): void;
  readonly level: LogLevel;
}

function serializeError(error: Error): Record<string, unknown> {
  return {
    name: error.name,
    message: error.message,
    ...(error.cause instanceof Error ? { cause: serializeError(error.cause) } : {}),
    ...("code" in error ? { code: (error as { code: unknown }).code } : {}),
  };
}

function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return redact(serializeError(value), depth);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = secretField.test(k) && v !== undefined && v !== null && typeof v !== "object" ? "[REDACTED]" : redact(v, depth + 1);
  }
  return out;
}

/**
 * @example
 * const log = createLogger({ service: "api", level: "info" });
 * log.child({ jobId }).info("job completed", { ms: 812 });
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = new Set<string>();
  return build(
    options.level ?? (process.env.LOG_LEVEL as LogLevel) ?? "info",
    options,
    { service: options.service, ...options.context },
    secrets,
  );
}

function build(level: LogLevel, options: LoggerOptions, context: Record<string, unknown>, secrets: Set<string>): Logger {
  const min = levels[level] ?? levels.info;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (levels[lvl] < min) return;
    let line = JSON.stringify(redact({ time: new Date().toISOString(), level: lvl, ...context, message, ...fields }));
    for (const s of secrets) line = line.split(s).join("[REDACTED]");
    write(line);
  };
  return {
    level,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (extra) => build(level, options, { ...context, ...extra }, secrets),
    redactValue(value) {
      // Short values would mask ordinary words; real keys and passwords are longer.
      if (value && value.length >= 6) {
        secrets.add(value);
        const json = JSON.stringify(value).slice(1, -1);
        if (json !== value) secrets.add(json);
      }
    },
  };
}
