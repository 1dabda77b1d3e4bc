/**
 * Structured JSON logs, one line per entry, with context (`jobId`, `requestId`, …) attached
 * once through `child()`. Fields whose names look secret are replaced by `[REDACTED]`, and
 * values registered with `redactValue()` (API keys, passwords read at start) are masked
 * wherever they appear, even inside messages and error text, raw, JSON-, URL- or form-encoded.
 * The password of any URL with credentials (`postgres://user:password@host`) is masked too,
 * and the one of `DATABASE_URL` is registered when the logger is created. A secret read later
 * by code that holds no logger (the Aurora password `resolveDatabaseUrl` fetches) is registered
 * for every logger of the process with `redactEverywhere()`.
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
  /** Read for `DATABASE_URL`, whose password is registered; default `process.env`. */
  env?: Record<string, string | undefined>;
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

// The password part of `scheme://user:password@`, in any text. A quote may be part of a password
// (encodeURIComponent leaves `'` as it is); the password ends at the last `@` before a space, `/`, `?` or `#`.
const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'?#]*:)([^\s/?#"]*[^\s@/?#"])@/gi;

/** Secrets every logger of this process masks (see `redactEverywhere`). */
const processSecrets = new Set<string>();

/** The forms a value takes in log text: raw, JSON-escaped, percent-encoded (both ways URLs do it), form-encoded. */
function encodedForms(value: string): string[] {
  const component = encodeURIComponent(value);
  // WHATWG URL serialisation of a password percent-encodes what encodeURIComponent leaves (', !, (, ), *).
  const userinfo = new URL("x://h");
  userinfo.password = value;
  const strict = component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    component,
    component.replace(/%20/g, "+"),
    strict,
    userinfo.password,
    new URLSearchParams({ v: value }).toString().slice(2),
  ];
}

/** Adds `value`'s forms to `set`, longest first, so a form that contains another is masked whole. */
function addSecret(set: Set<string>, value: string | undefined): void {
  // Short values would mask ordinary words; real keys and passwords are longer.
  if (!value || value.length < 6) return;
  for (const form of encodedForms(value)) set.add(form);
  const sorted = [...set].sort((a, b) => b.length - a.length);
  set.clear();
  for (const form of sorted) set.add(form);
}

/**
 * Masks `value` in every logger of this process, present and future: for secrets read by code
 * that has no logger at hand.
 * @example
 * redactEverywhere(creds.password);
 */
export function redactEverywhere(value: string | undefined): void {
  addSecret(processSecrets, value);
}

/** Secret-named fields masked at any depth (`secret`: under such a key, every value is); cycles cut. */
function redact(value: unknown, secret = false, ancestors: object[] = []): unknown {
  if (value instanceof Error) return redact(serializeError(value), secret, ancestors);
  if (value === null || value === undefined) return value;
  if (typeof value !== "object") return secret ? "[REDACTED]" : value;
  if (ancestors.includes(value)) return "[Circular]";
  const path = [...ancestors, value];
  if (Array.isArray(value)) return value.map((v) => redact(v, secret, path));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redact(v, secret || secretField.test(k), path);
  return out;
}

/** The password of a URL with credentials, decoded, if any. */
function urlCredential(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * @example
 * const log = createLogger({ service: "api", level: "info" });
 * log.child({ jobId }).info("job completed", { ms: 812 });
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = new Set<string>();
  const logger = build(
    options.level ?? (process.env.LOG_LEVEL as LogLevel) ?? "info",
    options,
    { service: options.service, ...options.context },
    secrets,
  );
  logger.redactValue(urlCredential((options.env ?? process.env).DATABASE_URL));
  return logger;
}

function build(level: LogLevel, options: LoggerOptions, context: Record<string, unknown>, secrets: Set<string>): Logger {
  const min = levels[level] ?? levels.info;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (levels[lvl] < min) return;
    let line = JSON.stringify(redact({ time: new Date().toISOString(), level: lvl, ...context, message, ...fields }));
    for (const s of secrets) line = line.split(s).join("[REDACTED]");
    for (const s of processSecrets) line = line.split(s).join("[REDACTED]");
    line = line.replace(urlPassword, "$1[REDACTED]@");
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
      addSecret(secrets, value);
    },
  };
}
