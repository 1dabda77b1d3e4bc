import { describe, expect, it } from "vitest";
import { toMaskBytes, toPlanarTensor } from "./background-remover.ts";

describe("toPlanarTensor", () => {
  it("splits packed RGB into three planes, each value (v − 128) / 256", () => {
    const rgb = Uint8Array.from([0, 128, 255, 10, 20, 30]);
    expect(Array.from(toPlanarTensor(rgb, 2))).toEqual([-0.5, -118 / 256, 0, -108 / 256, 127 / 256, -98 / 256]);
  });
});

describe("toMaskBytes", () => {
  it("scales 0–1 to 0–255 and clamps overshoot", () => {
    expect(Array.from(toMaskBytes(Float32Array.from([-0.2, 0, 0.5, 1, 1.3])))).toEqual([0, 0, 128, 255, 255]);
  });
});
