/** A receive that waits: retried whenever the queue may have a message, until one arrives, the wait ends or the emulator closes. */
import type { SqsMessage, SqsQueue } from "./sqs-queue.ts";

export interface LongPollOptions {
  queue: SqsQueue;
  take: () => SqsMessage[];
  waitMs: number;
  /** Whether to give up now (closed emulator, deleted queue). */
  gone: () => boolean;
  /** Registers the abort of this poll, for `close()`; returns its unregistration. */
  track: (abort: () => void) => () => void;
}

export function longPoll({ queue, take, waitMs, gone, track }: LongPollOptions): Promise<SqsMessage[]> {
  return new Promise((resolve) => {
    const deadline = Date.now() + waitMs;
    let timer: NodeJS.Timeout | undefined;
    const finish = (msgs: SqsMessage[]) => {
      clearTimeout(timer);
      unregister();
      untrack();
      resolve(msgs);
    };
    const attempt = () => {
      if (gone()) return finish([]);
      const got = take();
      if (got.length || Date.now() >= deadline) return finish(got);
      arm();
    };
    const arm = () => {
      clearTimeout(timer);
      const next = queue.nextVisibleAt();
      const at = next === undefined ? deadline : Math.min(deadline, Math.max(next, Date.now() + 1));
      timer = setTimeout(attempt, at - Date.now());
    };
    const unregister = queue.addWaiter(attempt);
    const untrack = track(() => finish([]));
    arm();
  });
}
