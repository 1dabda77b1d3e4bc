/**
 * The engine's command line (`cutout.mjs` in the worker image): a photo in, a cut-out out, one
 * JSON line with the cold start; bad input and bad configuration refused with a message and an
 * exit code, and no output file left behind. Runs the real model (one load per successful call).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@bluemoxon/core";
import { afterAll, describe, expect, it } from "vitest";
import { runTs } from "../support/run-ts.ts";
import { alphaOf, bookScene, encodeScene, maskIoU } from "./book-scene.ts";

const dir = mkdtempSync(join(tmpdir(), "bmx-cutout-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cutout = (args: string[], env: Record<string, string> = {}) => runTs("services/worker/src/cutout-cli.ts", args, env);

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
    expect(line.coldStartMs).toBeGreaterThan(line.timings.inference);
    const { alpha } = await alphaOf(readFileSync(out));
    expect(maskIoU(alpha, scene.mask)).toBeGreaterThanOrEqual(0.97);
  });

  it("refuses a file that is not a photo, says why, and writes nothing", async () => {
    const out = join(dir, "not-a-photo.png");
    const run = await cutout([join(repoRoot, "package.json"), out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/package\.json: the photo is not a JPEG, PNG/);
    expect(existsSync(out)).toBe(false);
  });

  it("names a missing photo", async () => {
    const run = await cutout([join(dir, "missing.jpg"), join(dir, "missing.png")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read .*missing\.jpg: ENOENT/);
  });

  it("says which model folder it could not load", async () => {
    const run = await cutout([join(repoRoot, "package.json"), join(dir, "no-model.png")], { BG_MODEL_DIR: join(dir, "no-such-folder") });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot load the medium model from BG_MODEL_DIR=.*no-such-folder: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("names a bad variable (exit 78) and a bad command line (exit 2, with the usage)", async () => {
    const config = await cutout(["a.jpg", "b.png"], { BG_MODEL: "huge" });
    expect(config.code).toBe(78);
    expect(config.stderr).toMatch(/BG_MODEL/);
    const args = await cutout(["only-one.jpg"]);
    expect(args.code).toBe(2);
    expect(args.stderr).toMatch(/expected a photo and an output path, got 1/);
    expect(args.stderr).toMatch(/usage: cutout <photo> <out\.png>/);
  });
});
