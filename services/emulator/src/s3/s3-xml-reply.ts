/** S3's XML replies: the namespace, the owner every listing names, and timestamps as S3 writes them. */
import type { HttpReply } from "../http-reply.ts";
import { escapeXml, toXml, type XmlNode, xmlDeclaration } from "../xml.ts";

export const s3Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
export const owner = { ID: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", DisplayName: "emulator" };

export function xmlReply(root: string, node: XmlNode, headers: Record<string, string> = {}): HttpReply {
  return {
    status: 200,
    headers: { "content-type": "application/xml", ...headers },
    body: `${xmlDeclaration}\n<${root} xmlns="${s3Xmlns}">${toXml(node)}</${root}>`,
  };
}

/** An element holding only text (`<LocationConstraint>`). */
export function xmlTextReply(root: string, text: string): HttpReply {
  return {
    status: 200,
    headers: { "content-type": "application/xml" },
    body: `${xmlDeclaration}<${root} xmlns="${s3Xmlns}">${escapeXml(text)}</${root}>`,
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
