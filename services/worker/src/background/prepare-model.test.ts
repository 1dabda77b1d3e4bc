/**
 * The fp16 → fp32 conversion and output pruning on a tiny hand-built ONNX graph (the real model
 * is covered by tests/worker/background-remover.test.ts, which loads the prepared artefact).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { findPreparedModel, modelResourcesDir } from "./model-files.ts";
import { convertFp16ToFp32 } from "./prepare-model.ts";

const { onnx } = onnxProto;
const { FLOAT, FLOAT16 } = onnx.TensorProto.DataType;

/** float → binary16 bits, for values exactly representable in fp16. */
const halfBits = (v: number) => {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const frac = (u >>> 13) & 0x3ff;
  return v === 0 ? sign : sign | (exp << 10) | frac;
};

/** Y = float(half(X) + W) with W fp16, Z = X·X: two outputs, one of them fp16 inside. */
function tinyFp16Model(weights: number[]): Uint8Array {
  const info = (name: string, elemType: number) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 15 }],
    graph: {
      name: "tiny",
      input: [info("X", FLOAT)],
      output: [info("Y", FLOAT), info("Z", FLOAT)],
      valueInfo: [info("Xh", FLOAT16), info("Sh", FLOAT16)],
      initializer: [
        { name: "W", dims: [1, 4], dataType: FLOAT16, rawData: new Uint8Array(Uint16Array.from(weights.map(halfBits)).buffer) },
      ],
      node: [
        // Stored out of topological order on purpose: pruning must not depend on it.
        {
          opType: "Cast",
          input: ["Sh"],
          output: ["Y"],
          attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
        },
        {
          opType: "Cast",
          input: ["X"],
          output: ["Xh"],
          attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT16 }],
        },
        { opType: "Add", input: ["Xh", "W"], output: ["Sh"] },
        { opType: "Mul", input: ["X", "X"], output: ["Z"] },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

async function run(bytes: Uint8Array, x: number[], outputs: string[]) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ X: new ort.Tensor("float32", Float32Array.from(x), [1, 4]) }, outputs);
    return Object.fromEntries(outputs.map((o) => [o, Array.from(result[o].data as Float32Array)]));
  } finally {
    await session.release();
  }
}

describe("convertFp16ToFp32", () => {
  const weights = [0.5, -1.25, 3, 1 / 1024];
  const x = [1, 2.5, -4, 0.25];

  it("widens weights, casts and types to fp32 with the same results, and keeps only the asked outputs", async () => {
    const source = tinyFp16Model(weights);
    const converted = convertFp16ToFp32(source, { keepOutputs: ["Y"] });
    const graph = onnx.ModelProto.decode(converted).graph;
    expect(graph?.output?.map((o) => o.name)).toEqual(["Y"]);
    expect(graph?.node?.map((n) => n.opType).sort()).toEqual(["Add", "Cast", "Cast"]);
    expect(graph?.initializer?.map((t) => t.dataType)).toEqual([FLOAT]);
    expect(JSON.stringify(onnx.ModelProto.decode(converted).toJSON())).not.toMatch(/FLOAT16|"elemType":10/);
    const before = await run(source, x, ["Y"]);
    const after = await run(converted, x, ["Y"]);
    expect(after.Y).toEqual(before.Y);
    expect(after.Y).toEqual(x.map((v, i) => v + weights[i]));
  });

  it("says which output is missing", () => {
    expect(() => convertFp16ToFp32(tinyFp16Model(weights), { keepOutputs: ["nope"] })).toThrow(/no output nope/);
  });
});

describe("findPreparedModel", () => {
  const dir = mkdtempSync(join(tmpdir(), "prepared-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("ignores a folder without an artefact, or with one made from other weights", async () => {
    const source = modelResourcesDir();
    expect(await findPreparedModel("medium", [dir], source)).toBeUndefined();
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(join(dir, "prepared"));
    writeFileSync(join(dir, "prepared", "medium.onnx"), "x");
    const manifest = { model: "medium", source: "other-weights", onnxruntime: "1.30.0", precision: "fp32", optimization: "extended" };
    writeFileSync(join(dir, "prepared", "medium.json"), JSON.stringify(manifest));
    expect(await findPreparedModel("medium", [dir], source)).toBeUndefined();
    expect(readFileSync(join(dir, "prepared", "medium.onnx"), "utf8")).toBe("x");
  });
});
