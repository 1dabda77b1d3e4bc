/**
 * The photos sellers actually upload when things go wrong, generated on the fly: empty, truncated,
 * HTML error pages, decompression bombs, tracking pixels, animations, CMYK, 16-bit and SVG.
 */
import { createDeflate } from "node:zlib";
import sharp from "sharp";
import { bookScene, encodeScene } from "./book-scene.ts";

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A valid 1-bit greyscale PNG of `edge`×`edge` black pixels: a few hundred KB that decode to
 * `edge²` pixels (400 MP for 20000), built row by row so the test never holds the raw image.
 */
export async function pngBomb(edge = 20_000): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(edge, 0);
  ihdr.writeUInt32BE(edge, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on("data", (d: Buffer) => parts.push(d));
  const done = new Promise((resolve, reject) => deflate.on("end", resolve).on("error", reject));
  const row = Buffer.alloc(1 + Math.ceil(edge / 8)); // filter byte 0 + zero bits
  const rowsPerWrite = 256;
  const block = Buffer.concat(Array.from({ length: rowsPerWrite }, () => row));
  for (let y = 0; y < edge; y += rowsPerWrite) {
    const n = Math.min(rowsPerWrite, edge - y);
    if (!deflate.write(n === rowsPerWrite ? block : block.subarray(0, n * row.length))) {
      await new Promise((r) => deflate.once("drain", r));
    }
  }
  deflate.end();
  await done;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk("IHDR", ihdr), pngChunk("IDAT", Buffer.concat(parts)), pngChunk("IEND", Buffer.alloc(0))]);
}

export interface BadPhoto {
  name: string;
  bytes: Buffer;
  /** What processJob must end with. */
  expected: "completed" | "failed";
  /** For failures: the reason must say this. */
  reason?: RegExp;
}

/** Every bad input of issue 5. `svgTarget` is a URL the SVG references; nothing may fetch it. */
export async function badPhotos(svgTarget: string): Promise<BadPhoto[]> {
  const scene = await bookScene({ width: 320, height: 240, background: "wood", seed: 21 });
  const raw = { width: scene.width, height: scene.height, channels: 3 as const };
  const jpeg = await encodeScene(scene, "jpeg");
  // Three frames stacked vertically = an animated GIF of three pages.
  const frames = Buffer.concat([scene.rgb, Buffer.alloc(scene.rgb.length, 40), Buffer.alloc(scene.rgb.length, 200)]);
  const gif = await sharp(frames, { raw: { ...raw, height: scene.height * 3, pageHeight: scene.height } })
    .gif({ loop: 0, delay: [100, 100, 100] })
    .toBuffer();
  const svg = Buffer.from(
    `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="300" height="200">` +
      `<image xlink:href="${svgTarget}/cover.png" width="300" height="200"/><use href="${svgTarget}/defs.svg#book"/></svg>`,
  );
  return [
    { name: "zero bytes", bytes: Buffer.alloc(0), expected: "failed", reason: /empty/ },
    {
      name: "truncated JPEG",
      bytes: jpeg.subarray(0, Math.floor(jpeg.length * 0.6)),
      expected: "failed",
      reason: /cannot be (read|decoded)/,
    },
    {
      name: "HTML served as .jpg",
      bytes: Buffer.from("<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>"),
      expected: "failed",
      reason: /HTML/,
    },
    { name: "20000×20000 PNG bomb", bytes: await pngBomb(20_000), expected: "failed", reason: /over the limit/ },
    {
      name: "1×1 image",
      bytes: await sharp({ create: { width: 1, height: 1, channels: 3, background: "#fff" } })
        .png()
        .toBuffer(),
      expected: "failed",
      reason: /under the minimum/,
    },
    { name: "animated GIF (first frame used)", bytes: gif, expected: "completed" },
    { name: "CMYK JPEG", bytes: await sharp(scene.rgb, { raw }).toColourspace("cmyk").jpeg().toBuffer(), expected: "completed" },
    { name: "16-bit PNG", bytes: await sharp(scene.rgb, { raw }).toColourspace("rgb16").png().toBuffer(), expected: "completed" },
    { name: "SVG with external references", bytes: svg, expected: "failed", reason: /SVG/ },
  ];
}
