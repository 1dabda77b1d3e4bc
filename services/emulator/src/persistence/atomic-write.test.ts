import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { atomicWrite, atomicWriteSync } from "./atomic-write.ts";
import { SnapshotWriter } from "./snapshot-writer.ts";

const dir = mkdtempSync(join(tmpdir(), "emu-atomic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("atomic writes", () => {
  it("replaces the file with the new content and leaves no temp files", async () => {
    const path = join(dir, "a.json");
    await atomicWrite(path, "old");
    atomicWriteSync(path, "new");
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("keeps the previous snapshot readable when a writer is killed mid-write", () => {
    const path = join(dir, "state.json");
    atomicWriteSync(path, JSON.stringify({ version: 1 }));
    // A child writes a large snapshot in a loop and is SIGKILLed while doing so.
    const script = `
      const { atomicWriteSync } = await import(${JSON.stringify(new URL("./atomic-write.ts", import.meta.url).href)});
      const big = JSON.stringify({ version: 2, pad: "x".repeat(4_000_000) });
      for (;;) atomicWriteSync(${JSON.stringify(path)}, big);
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      timeout: 1500,
      killSignal: "SIGKILL",
    });
    expect(child.signal).toBe("SIGKILL");
    const state = JSON.parse(readFileSync(path, "utf8"));
    expect([1, 2]).toContain(state.version);
  });

  it("coalesces snapshot writes and flushes pending state", async () => {
    const path = join(dir, "coalesced.json");
    let value = 0;
    const writer = new SnapshotWriter(path, () => ({ value }), 10_000);
    for (let i = 1; i <= 5; i++) {
      value = i;
      writer.markDirty();
    }
    await writer.flush();
    expect(SnapshotWriter.read(path)).toEqual({ value: 5 });
  });
});
