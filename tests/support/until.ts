/**
 * The one waiter of the tests: polls `check` until it returns a truthy value and returns that.
 * Tests wait on events, never on sleeps: the bound only guards against a hang, so callers give
 * generous ones (a loaded machine is slow, not wrong) and it never asserts speed.
 */
export type Truthy<T> = Exclude<T, false | undefined | null | 0 | "">;

export interface UntilOptions {
  /** Poll interval (default 250 ms). */
  everyMs?: number;
  /** Checked before each poll: a reason to stop waiting at once (a process died, say). */
  bail?: () => string | undefined;
  /** Treat a throwing `check` as "not yet" and name its last error on timeout (default false: it rethrows). */
  retryErrors?: boolean;
}

/**
 * @example
 * const job = await until("the job to complete", async () => (await jobRow(id)).status === "completed" && job, 240_000);
 */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs: number,
  { everyMs = 250, bail, retryErrors = false }: UntilOptions = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const reason = bail?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
    } catch (error) {
      if (!retryErrors) throw error;
      last = error;
    }
    if (Date.now() > deadline) {
      const lastError = last ? ` (last error: ${(last as Error).message})` : "";
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
