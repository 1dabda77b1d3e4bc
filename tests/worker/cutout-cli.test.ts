/**
 * The engine's command line (`cutout.mjs` in the worker image): a photo in, a cut-out out, one
 * JSON line with the cold start; bad input and bad configuration refused with a message and an
 * exit code, and no output file left behind. Runs the real model (one load per successful call;
 * a bad photo or output path is refused before the model loads, which the tests show by pointing
 * BG_MODEL_DIR at nothing).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";
import { runTs } from "../support/run-ts.ts";
import { alphaOf, bookScene, encodeScene, maskIoU } from "./book-scene.ts";

const dir = mkdtempSync(join(tmpdir(), "bmx-cutout-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The engine's variables from the developer's shell would change what is checked here.
const engineDefaults = {
  BG_MODEL: undefined,
  BG_MODEL_DIR: undefined,
  BG_TRIM_PADDING: undefined,
  BG_MAX_OUTPUT_EDGE: undefined,
  BG_THREADS: undefined,
  MAX_INPUT_PIXELS: undefined,
};
const cutout = (args: string[], env: Record<string, string> = {}) =>
  runTs("services/worker/src/cutout-cli.ts", args, { ...engineDefaults, ...env });
const noModel = { BG_MODEL_DIR: join(dir, "no-such-model-folder") };

describe("cutout CLI", () => {
  it("writes the cut-out of a photo on plain light paper (IoU ≥ 0.97) and reports its cold start", async () => {
    const scene = await bookScene({ width: 1200, height: 900, background: "light", colour: [40, 60, 120], seed: 21 });
    const photo = join(dir, "light.jpg");
    const out = join(dir, "light.png");
    writeFileSync(photo, await encodeScene(scene, "jpeg"));
    const run = await cutout([photo, out]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const line = JSON.parse(run.stdout.trim());
    expect(line).toMatchObject({ out, width: 1200, height: 900 });
    expect(Object.keys(line.timings).sort()).toEqual(["compose", "decode", "inference", "mask", "normalise", "resize"]);
    expect(readdirSync(dir).filter((f) => f.includes(".partial"))).toEqual([]);
    const { alpha } = await alphaOf(readFileSync(out));
    expect(maskIoU(alpha, scene.mask)).toBeGreaterThanOrEqual(0.97);
  });

  it("refuses a file that is not a photo before loading the model, says why, and writes nothing", async () => {
    const out = join(dir, "not-a-photo.png");
    const run = await cutout([join(repoRoot, "package.json"), out], noModel);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/package\.json: the photo is not a JPEG, PNG/);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses an output folder it cannot write to before loading the model", async () => {
    const scene = await bookScene({ width: 320, height: 240, background: "wood", seed: 2 });
    const photo = join(dir, "small.jpg");
    writeFileSync(photo, await encodeScene(scene, "jpeg"));
    const run = await cutout([photo, join(dir, "no-such-folder", "out.png")], noModel);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot write .*no-such-folder\/out\.png: ENOENT/);
  });

  it("names a missing photo", async () => {
    const run = await cutout([join(dir, "missing.jpg"), join(dir, "missing.png")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read .*missing\.jpg: ENOENT/);
  });

  it("says which model folder it could not load", async () => {
    const scene = await bookScene({ width: 320, height: 240, background: "wood", seed: 2 });
    const photo = join(dir, "for-no-model.jpg");
    writeFileSync(photo, await encodeScene(scene, "jpeg"));
    const run = await cutout([photo, join(dir, "no-model.png")], noModel);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot load the medium model from BG_MODEL_DIR=.*no-such-model-folder: /);
    expect(existsSync(join(dir, "no-model.png"))).toBe(false);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("names a bad variable (exit 78) and a bad command line (exit 2, with the usage)", async () => {
    const config = await cutout(["a.jpg", "b.png"], { BG_MODEL: "huge" });
    expect(config.code).toBe(78);
    expect(config.stderr).toMatch(/BG_MODEL/);
    const threads = await cutout(["a.jpg", "b.png"], { BG_THREADS: "lots" });
    expect(threads.code).toBe(78);
    expect(threads.stderr).toMatch(/BG_THREADS must be "auto" or a whole number of threads ≥ 1, got "lots"/);
    const args = await cutout(["only-one.jpg"]);
    expect(args.code).toBe(2);
    expect(args.stderr).toMatch(/expected a photo and an output path, got 1/);
    expect(args.stderr).toMatch(/usage: cutout <photo> <out\.png>/);
  });
});
