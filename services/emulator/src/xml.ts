/** Minimal XML writing for replies (parsing of request bodies uses fast-xml-parser, loaded lazily). */

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;",
  );
}

export type XmlValue = string | number | boolean | undefined | null | XmlNode | XmlValue[];
export interface XmlNode {
  [name: string]: XmlValue;
}

/** `{ A: "x", B: [{ C: 1 }, { C: 2 }] }` → `<A>x</A><B><C>1</C></B><B><C>2</C></B>`; undefined fields are left out. */
export function toXml(node: XmlNode): string {
  let out = "";
  for (const [name, value] of Object.entries(node)) out += element(name, value);
  return out;
}

function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((v) => element(name, v)).join("");
  if (typeof value === "object") return `<${name}>${toXml(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>';

let parser: { parse(xml: string | Buffer): Record<string, unknown> } | undefined;

/** Parses a request body; repeated elements come back as arrays only when repeated, so callers use `asArray`. */
export async function parseXml(body: Buffer): Promise<Record<string, unknown>> {
  if (!parser) {
    const { XMLParser } = await import("fast-xml-parser");
    parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, removeNSPrefix: true });
  }
  return parser.parse(body);
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
