/**
 * Untrusted bytes → upright 8-bit sRGB pixels, or a typed permanent error saying why not.
 *
 * The format is sniffed from magic bytes before libvips sees anything, so HTML, SVG (which could
 * reference external files) and PDF never reach a decoder. The pixel limit is checked from the
 * header before decoding (decompression bombs), animations contribute their first frame only,
 * and CMYK / 16-bit / grey / palette inputs all come out as 8-bit sRGB.
 */
import sharp, { type Metadata } from "sharp";
import { EmptySourceError, ImageTooLargeError, ImageTooSmallError, UndecodableImageError, UnsupportedImageFormatError } from "../errors.ts";

export type RasterFormat = "jpeg" | "png" | "gif" | "webp" | "tiff" | "heif";

export interface DecodeLimits {
  /** Largest width × height accepted (default 50 MP). */
  maxInputPixels?: number;
  /** Smallest edge accepted (default 16 px). */
  minEdge?: number;
}

export interface DecodedImage {
  /** Packed RGB, 3 bytes per pixel, rows top to bottom, already EXIF-oriented. */
  data: Buffer;
  width: number;
  height: number;
  format: RasterFormat;
  /** Frames in the source (animated GIF/WebP > 1; only the first is used). */
  pages: number;
}

export const defaultMaxInputPixels = 50_000_000;

/** Identifies the accepted raster formats by their magic bytes; undefined for anything else. */
export function sniffFormat(bytes: Uint8Array): RasterFormat | undefined {
  const b = bytes;
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === "PNG") return "png";
  if (b.length >= 6 && (ascii(0, 6) === "GIF87a" || ascii(0, 6) === "GIF89a")) return "gif";
  if (b.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  if (b.length >= 4 && (ascii(0, 4) === "II*\0" || ascii(0, 4) === "MM\0*")) return "tiff";
  if (b.length >= 12 && ascii(4, 8) === "ftyp" && /^(heic|heix|mif1|msf1|avif|avis)$/.test(ascii(8, 12))) return "heif";
  return undefined;
}

function describe(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 256)).toString("latin1").trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return "HTML, not an image";
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "SVG (vector images are not accepted)";
  if (head.startsWith("%pdf")) return "PDF, not an image";
  return "not a JPEG, PNG, GIF, WebP, TIFF or HEIF image";
}

/**
 * @example
 * const { data, width, height } = await decodeImage(bytes, { maxInputPixels: 40_000_000 });
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = {}): Promise<DecodedImage> {
  const maxInputPixels = limits.maxInputPixels ?? defaultMaxInputPixels;
  const minEdge = limits.minEdge ?? 16;
  if (bytes.length === 0) throw new EmptySourceError("the photo is empty (0 bytes)");
  const format = sniffFormat(bytes);
  if (!format) throw new UnsupportedImageFormatError(`the photo is ${describe(bytes)}`);

  // `pages: 1` = first frame of an animation; `failOn: "error"` rejects truncated/corrupt data
  // while tolerating the harmless warnings real cameras produce.
  const input = { limitInputPixels: maxInputPixels, failOn: "error" as const, pages: 1, page: 0 };
  let meta: Metadata;
  try {
    // Header only: no pixels are decoded here, so the limit is checked just below with the dimensions in the message.
    meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
  } catch (error) {
    throw new UndecodableImageError(`the photo cannot be read as ${format}: ${(error as Error).message}`, { cause: error });
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > maxInputPixels) {
    throw new ImageTooLargeError(`the photo has ${width}×${height} pixels, over the limit of ${maxInputPixels}`);
  }
  if (width < minEdge || height < minEdge) {
    throw new ImageTooSmallError(`the photo is ${width}×${height} pixels, under the minimum of ${minEdge}×${minEdge}`);
  }
  try {
    const { data, info } = await sharp(bytes, { ...input, autoOrient: true })
      .removeAlpha()
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data, width: info.width, height: info.height, format, pages: meta.pages ?? 1 };
  } catch (error) {
    if (/pixel limit/i.test((error as Error).message)) {
      throw new ImageTooLargeError(`the photo exceeds the pixel limit of ${maxInputPixels}`, { cause: error });
    }
    throw new UndecodableImageError(`the photo cannot be decoded (${format}): ${(error as Error).message}`, { cause: error });
  }
}
