/**
 * Preloaded (`--import`) into every process `npm start` supervises: the supervisor holds the
 * write end of the child's stdin and never writes to it, so stdin reaches EOF exactly when the
 * supervisor is gone — however it died (SIGKILL, a closed terminal), on Linux and macOS alike.
 * The child then stops the way SIGTERM stops it (PGlite flushes, the trigger finishes its
 * batch), and exits for sure after a grace period.
 */
const graceMs = Number(process.env.DIE_WITH_PARENT_GRACE_MS ?? 30_000);

let orphaned = false;
function parentGone(): void {
  if (orphaned) return;
  orphaned = true;
  setTimeout(() => process.exit(1), graceMs).unref();
  process.kill(process.pid, "SIGTERM");
}

// Logs go to pipes the dead supervisor no longer reads; a failed write must not crash the shutdown.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});
process.stdin.on("end", parentGone);
process.stdin.on("close", parentGone);
process.stdin.on("error", parentGone);
process.stdin.resume();
// Watching stdin must not keep a one-shot child (the migrations) alive.
(process.stdin as { unref?: () => void }).unref?.();
