/**
 * The graph optimised for this CPU is kept on the first load and used by the next: the next
 * session's masks are byte-for-byte those of a session that optimised the graph itself.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createBackgroundRemover, defaultCacheDir, optimizedGraphFile } from "../../services/worker/src/index.ts";
import { bookScene } from "./book-scene.ts";

const dir = mkdtempSync(join(tmpdir(), "bmx-optimized-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the optimised-graph cache", () => {
  it("writes the graph on the first load and gives identical masks from it on the next", async () => {
    // The prepared artefact as the default cache has it (prepared there on first use), copied, so
    // this test's cache starts without an optimised graph.
    await (await createBackgroundRemover({ cacheOptimized: false })).release();
    cpSync(join(defaultCacheDir(), "prepared"), join(dir, "prepared"), { recursive: true });
    const scene = await bookScene({ width: 480, height: 360, background: "light", colour: [24, 60, 110], seed: 7 });
    const image = { data: scene.rgb, width: scene.width, height: scene.height };

    const first = await createBackgroundRemover({ cacheDir: dir });
    const cached = optimizedGraphFile(first.source, dir);
    expect(existsSync(cached)).toBe(true);
    const expected = await first.mask(image);
    await first.release();

    const second = await createBackgroundRemover({ cacheDir: dir });
    expect((await second.mask(image)).equals(expected)).toBe(true);
    await second.release();
  });

  it("names the graph after the artefact it was made from", () => {
    const prepared = join(dir, "prepared", "medium.onnx");
    const before = optimizedGraphFile(prepared, dir);
    utimesSync(prepared, new Date(), new Date(Date.now() + 60_000));
    expect(optimizedGraphFile(prepared, dir)).not.toBe(before);
  });
});
