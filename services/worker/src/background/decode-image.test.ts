import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { badPhotos } from "../../../../tests/worker/bad-photos.ts";
import { decodeImage, sniffFormat } from "./decode-image.ts";

describe("decodeImage", () => {
  it("rejects each bad input with a typed, readable error, and decodes the odd-but-valid ones", async () => {
    const photos = await badPhotos("http://127.0.0.1:9/never");
    const outcomes: Record<string, string> = {};
    for (const photo of photos) {
      try {
        const image = await decodeImage(photo.bytes);
        expect(image.data.length).toBe(image.width * image.height * 3);
        outcomes[photo.name] = `ok ${image.width}x${image.height} ${image.format} pages=${image.pages}`;
      } catch (error) {
        outcomes[photo.name] = `${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    expect(outcomes["zero bytes"]).toMatch(/^EmptySourceError: .*0 bytes/);
    expect(outcomes["truncated JPEG"]).toMatch(/^UndecodableImageError/);
    expect(outcomes["HTML served as .jpg"]).toMatch(/^UnsupportedImageFormatError: .*HTML/);
    expect(outcomes["20000×20000 PNG bomb"]).toMatch(/^ImageTooLargeError: .*20000×20000/);
    expect(outcomes["1×1 image"]).toMatch(/^ImageTooSmallError/);
    expect(outcomes["animated GIF (first frame used)"]).toBe("ok 320x240 gif pages=3");
    expect(outcomes["CMYK JPEG"]).toBe("ok 320x240 jpeg pages=1");
    expect(outcomes["16-bit PNG"]).toBe("ok 320x240 png pages=1");
    expect(outcomes["SVG with external references"]).toMatch(/^UnsupportedImageFormatError: .*SVG/);
  });

  it("converts CMYK to sRGB colours close to the original", async () => {
    const rgb = Buffer.alloc(32 * 32 * 3);
    for (let i = 0; i < rgb.length; i += 3) rgb.set([200, 40, 40], i);
    const cmyk = await sharp(rgb, { raw: { width: 32, height: 32, channels: 3 } })
      .toColourspace("cmyk")
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const { data } = await decodeImage(cmyk);
    expect(Math.abs(data[0] - 200)).toBeLessThan(30);
    expect(Math.abs(data[1] - 40)).toBeLessThan(30);
  });

  it("uses the first frame of an animation", async () => {
    const frames = Buffer.concat([Buffer.alloc(32 * 32 * 3, 250), Buffer.alloc(32 * 32 * 3, 10)]);
    const gif = await sharp(frames, { raw: { width: 32, height: 64, channels: 3, pageHeight: 32 } })
      .gif()
      .toBuffer();
    const image = await decodeImage(gif);
    expect([image.width, image.height, image.pages]).toEqual([32, 32, 2]);
    expect(image.data[0]).toBeGreaterThan(200);
  });

  it("sniffs formats from magic bytes, not names", () => {
    expect(sniffFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("jpeg");
    expect(sniffFormat(Buffer.from("GIF89a......"))).toBe("gif");
    expect(sniffFormat(Buffer.from("RIFF\0\0\0\0WEBPVP8 "))).toBe("webp");
    expect(sniffFormat(Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeUndefined();
    expect(sniffFormat(Buffer.from("%PDF-1.7"))).toBeUndefined();
  });
});
