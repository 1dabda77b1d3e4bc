/**
 * Runs `load` now and then again after `delay()` ms, one run at a time: a `now()` during a run
 * queues one more right after it. Never while the tab is hidden (`visibilitychange` resumes it).
 */
export interface Poller {
  now(): void;
  stop(): void;
}

export function createPoller({
  load,
  delay,
  doc = document,
}: {
  load: () => Promise<void>;
  delay: () => number;
  doc?: Pick<Document, "hidden" | "addEventListener" | "removeEventListener">;
}): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  let stopped = false;

  const schedule = () => {
    clearTimeout(timer);
    if (stopped || doc.hidden) return;
    timer = setTimeout(run, delay());
  };
  async function run(): Promise<void> {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    try {
      await load();
    } finally {
      running = false;
      if (again) {
        again = false;
        void run();
      } else schedule();
    }
  }
  const onVisibility = () => {
    if (!doc.hidden) void run();
  };
  doc.addEventListener("visibilitychange", onVisibility);
  return {
    now: () => void run(),
    stop() {
      stopped = true;
      clearTimeout(timer);
      doc.removeEventListener("visibilitychange", onVisibility);
    },
  };
}
