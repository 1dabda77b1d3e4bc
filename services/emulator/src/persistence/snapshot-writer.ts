/**
 * Coalesced JSON snapshots of one service's state. Mutations call `markDirty()`; a write follows
 * within `delayMs`, never two at once, and `flush()` (on close) writes whatever is pending.
 */
import { existsSync, readFileSync } from "node:fs";
import { EmulatorError } from "../errors.ts";
import { atomicWrite, atomicWriteSync } from "./atomic-write.ts";

export class SnapshotWriter {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private afterWrite: (() => void)[] = [];

  constructor(
    private readonly path: string,
    private readonly serialize: () => unknown,
    private readonly delayMs = 25,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** The last snapshot, or undefined when there is none yet. */
  static read<T>(path: string): T | undefined {
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, "utf8")) as T;
    } catch (error) {
      throw new EmulatorError(`snapshot ${path} is unreadable`, { cause: error });
    }
  }

  markDirty(afterWrite?: () => void): void {
    this.dirty = true;
    if (afterWrite) this.afterWrite.push(afterWrite);
    if (!this.timer && !this.writing) this.timer = setTimeout(() => void this.write(), this.delayMs);
  }

  private async write(): Promise<void> {
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    const callbacks = this.afterWrite;
    this.afterWrite = [];
    const data = JSON.stringify(this.serialize());
    this.writing = atomicWrite(this.path, data);
    try {
      await this.writing;
      for (const cb of callbacks) cb();
    } catch (error) {
      // Keep serving from memory and retry on the next change; the last good snapshot stays on disk.
      this.dirty = true;
      this.afterWrite.unshift(...callbacks);
      this.onError(error);
    } finally {
      this.writing = undefined;
      if (this.dirty && !this.timer) this.timer = setTimeout(() => void this.write(), this.delayMs);
    }
  }

  /** Writes pending state now (waits for a running write first). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing) await this.writing.catch(() => undefined);
    if (this.dirty) {
      this.dirty = false;
      const callbacks = this.afterWrite;
      this.afterWrite = [];
      atomicWriteSync(this.path, JSON.stringify(this.serialize()));
      for (const cb of callbacks) cb();
    }
  }
}
