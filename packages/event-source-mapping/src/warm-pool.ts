/**
 * The warm execution environments of one function: one slot per unit of `maximumConcurrency`,
 * each holding an environment between batches as Lambda keeps one warm. Where environments come
 * from is the caller's: a child process started on demand (npm start) or one that called the
 * Runtime API (compose, where the containers are fixed replicas the pool waits for).
 */
import type { ExecutionEnvironment } from "./execution-environment.ts";

export interface Slot {
  busy: boolean;
  env?: ExecutionEnvironment;
  /** The code generation the environment was started with (see `recycle()`). */
  generation?: number;
}

export class WarmPool {
  private readonly slots: Slot[];
  private readonly waiters: (() => void)[] = [];
  private generation = 0;
  private open = true;

  constructor(
    size: number,
    private readonly start: () => Promise<ExecutionEnvironment>,
  ) {
    this.slots = Array.from({ length: size }, () => ({ busy: false }));
  }

  /** A free slot, waiting for one; `undefined` once the pool is closed. */
  async idle(): Promise<Slot | undefined> {
    for (;;) {
      if (!this.open) return undefined;
      const slot = this.slots.find((s) => !s.busy);
      if (slot) return slot;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  take(slot: Slot): void {
    slot.busy = true;
  }

  release(slot: Slot): void {
    slot.busy = false;
    this.waiters.shift()?.();
  }

  /** The slot's environment, warm if it has a live one of the current code, else a new one (`started`). */
  async environment(slot: Slot): Promise<{ env: ExecutionEnvironment; started: boolean }> {
    if (slot.env && slot.generation !== this.generation) {
      // The code changed since this environment started (hot reload): it ran its last batch.
      slot.env.kill();
      slot.env = undefined;
    }
    if (slot.env?.alive) return { env: slot.env, started: false };
    slot.generation = this.generation;
    slot.env = undefined;
    slot.env = await this.start();
    return { env: slot.env, started: true };
  }

  /** Ends the slot's environment (crashed, timed out): the next batch gets a new one. */
  discard(slot: Slot): void {
    slot.env?.kill();
    slot.env = undefined;
  }

  /** From now on every batch runs in an environment started after this call; stops the idle ones now. */
  recycle(): number {
    this.generation++;
    let stopped = 0;
    for (const slot of this.slots) {
      if (slot.busy || !slot.env) continue;
      slot.env.kill();
      slot.env = undefined;
      stopped++;
    }
    return stopped;
  }

  pids(): number[] {
    return this.slots.flatMap((s) => (s.env?.alive && s.env.pid !== undefined ? [s.env.pid] : []));
  }

  /** No more slots are handed out; whoever waits for one gets `undefined`. */
  close(): void {
    this.open = false;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Ends every environment and waits until they are gone. */
  async killAll(): Promise<void> {
    const envs = this.slots.flatMap((s) => (s.env ? [s.env] : []));
    for (const env of envs) env.kill();
    await Promise.all(envs.map((e) => e.exit()));
  }
}
