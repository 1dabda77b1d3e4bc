/**
 * Bucket sub-resources (`?policy`, `?tagging`, `?encryption`, `?publicAccessBlock`, …) as rows of
 * the route table, from one declaration each: the document a Put stores (checked to be the
 * element S3 expects, or JSON for a policy), what a Get answers when none was put (S3's
 * not-found error, or the default S3 reports), and the IAM actions. Clients such as Terraform's
 * AWS provider read all of these back after creating a bucket.
 */
import type { HttpReply } from "../http-reply.ts";
import { parseXml } from "../xml.ts";
import { s3Error } from "./s3-errors.ts";
import { noContent, requestBody, type S3Route } from "./s3-route.ts";
import { owner, s3Xmlns } from "./s3-xml-reply.ts";

interface BucketConfig {
  query: string;
  /** Operation names without the verb: `BucketPolicy` → GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy. */
  name: string;
  /** The root element a Put must send, or "json". */
  document: string;
  actions: { get: string; put?: string; delete?: string };
  /** When nothing was put: S3's error, or the document it reports by default. */
  missing: { code: string; message: string } | { default: string };
  putStatus?: 200 | 204;
}

const xml = (root: string, inner = "") => `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${s3Xmlns}">${inner}</${root}>`;

const configs: BucketConfig[] = [
  {
    query: "policy",
    name: "BucketPolicy",
    document: "json",
    actions: { get: "s3:GetBucketPolicy", put: "s3:PutBucketPolicy", delete: "s3:DeleteBucketPolicy" },
    missing: { code: "NoSuchBucketPolicy", message: "The bucket policy does not exist" },
    putStatus: 204,
  },
  {
    query: "tagging",
    name: "BucketTagging",
    document: "Tagging",
    actions: { get: "s3:GetBucketTagging", put: "s3:PutBucketTagging", delete: "s3:PutBucketTagging" },
    missing: { code: "NoSuchTagSet", message: "The TagSet does not exist" },
    putStatus: 204,
  },
  {
    query: "encryption",
    name: "BucketEncryption",
    document: "ServerSideEncryptionConfiguration",
    actions: { get: "s3:GetEncryptionConfiguration", put: "s3:PutEncryptionConfiguration", delete: "s3:PutEncryptionConfiguration" },
    // Every bucket is encrypted with SSE-S3 unless told otherwise.
    missing: {
      default: xml(
        "ServerSideEncryptionConfiguration",
        "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>",
      ),
    },
  },
  {
    query: "publicAccessBlock",
    name: "PublicAccessBlock",
    document: "PublicAccessBlockConfiguration",
    actions: { get: "s3:GetBucketPublicAccessBlock", put: "s3:PutBucketPublicAccessBlock", delete: "s3:PutBucketPublicAccessBlock" },
    missing: { code: "NoSuchPublicAccessBlockConfiguration", message: "The public access block configuration was not found" },
  },
  {
    query: "cors",
    name: "BucketCors",
    document: "CORSConfiguration",
    actions: { get: "s3:GetBucketCORS", put: "s3:PutBucketCORS", delete: "s3:PutBucketCORS" },
    missing: { code: "NoSuchCORSConfiguration", message: "The CORS configuration does not exist" },
  },
  {
    query: "website",
    name: "BucketWebsite",
    document: "WebsiteConfiguration",
    actions: { get: "s3:GetBucketWebsite", put: "s3:PutBucketWebsite", delete: "s3:DeleteBucketWebsite" },
    missing: { code: "NoSuchWebsiteConfiguration", message: "The specified bucket does not have a website configuration" },
  },
  {
    query: "lifecycle",
    name: "BucketLifecycle",
    document: "LifecycleConfiguration",
    actions: { get: "s3:GetLifecycleConfiguration", put: "s3:PutLifecycleConfiguration", delete: "s3:PutLifecycleConfiguration" },
    missing: { code: "NoSuchLifecycleConfiguration", message: "The lifecycle configuration does not exist" },
  },
  {
    query: "replication",
    name: "BucketReplication",
    document: "ReplicationConfiguration",
    actions: { get: "s3:GetReplicationConfiguration" },
    missing: { code: "ReplicationConfigurationNotFoundError", message: "The replication configuration was not found" },
  },
  {
    query: "object-lock",
    name: "ObjectLockConfiguration",
    document: "ObjectLockConfiguration",
    actions: { get: "s3:GetBucketObjectLockConfiguration" },
    missing: { code: "ObjectLockConfigurationNotFoundError", message: "Object Lock configuration does not exist for this bucket" },
  },
  {
    query: "acl",
    name: "BucketAcl",
    document: "AccessControlPolicy",
    actions: { get: "s3:GetBucketAcl" },
    missing: {
      default: xml(
        "AccessControlPolicy",
        `<Owner><ID>${owner.ID}</ID><DisplayName>${owner.DisplayName}</DisplayName></Owner><AccessControlList><Grant>` +
          `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${owner.ID}</ID><DisplayName>${owner.DisplayName}</DisplayName></Grantee>` +
          "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList>",
      ),
    },
  },
  {
    query: "accelerate",
    name: "BucketAccelerateConfiguration",
    document: "AccelerateConfiguration",
    actions: { get: "s3:GetAccelerateConfiguration" },
    missing: { default: xml("AccelerateConfiguration") },
  },
  {
    query: "requestPayment",
    name: "BucketRequestPayment",
    document: "RequestPaymentConfiguration",
    actions: { get: "s3:GetBucketRequestPayment" },
    missing: { default: xml("RequestPaymentConfiguration", "<Payer>BucketOwner</Payer>") },
  },
  {
    query: "logging",
    name: "BucketLogging",
    document: "BucketLoggingStatus",
    actions: { get: "s3:GetBucketLogging" },
    missing: { default: xml("BucketLoggingStatus") },
  },
  {
    query: "ownershipControls",
    name: "BucketOwnershipControls",
    document: "OwnershipControls",
    actions: { get: "s3:GetBucketOwnershipControls" },
    missing: { default: xml("OwnershipControls", "<Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule>") },
  },
];

async function checkedDocument(config: BucketConfig, body: Buffer): Promise<string> {
  const text = body.toString("utf8");
  if (config.document === "json") {
    try {
      if (!text.trimStart().startsWith("{")) throw new Error("not an object");
      JSON.parse(text);
    } catch {
      throw s3Error("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400);
    }
    return text;
  }
  let doc: Record<string, unknown>;
  try {
    doc = await parseXml(body);
  } catch {
    doc = {};
  }
  if (!(config.document in doc)) {
    throw s3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
  }
  return text;
}

function documentReply(config: BucketConfig, document: string): HttpReply {
  return { status: 200, headers: { "content-type": config.document === "json" ? "application/json" : "application/xml" }, body: document };
}

function rows(config: BucketConfig): S3Route[] {
  const out: S3Route[] = [
    {
      operation: `Get${config.name}`,
      method: "GET",
      scope: "bucket",
      query: [config.query],
      action: config.actions.get,
      run: ({ s3 }, r) => {
        const stored = s3.bucket(r.bucket).config[config.query];
        if (stored !== undefined) return documentReply(config, stored);
        if ("default" in config.missing) return documentReply(config, config.missing.default);
        throw s3Error(config.missing.code, config.missing.message, 404, { BucketName: r.bucket });
      },
    },
  ];
  const { put, delete: del } = config.actions;
  if (put) {
    out.push({
      operation: `Put${config.name}`,
      method: "PUT",
      scope: "bucket",
      query: [config.query],
      action: put,
      run: async ({ s3 }, r) => {
        const bucket = s3.bucket(r.bucket);
        s3.store.setConfig(bucket, config.query, await checkedDocument(config, requestBody(r).bytes));
        return config.putStatus === 204 ? noContent : { status: 200 };
      },
    });
  }
  if (del) {
    out.push({
      operation: `Delete${config.name}`,
      method: "DELETE",
      scope: "bucket",
      query: [config.query],
      action: del,
      run: ({ s3 }, r) => {
        s3.store.setConfig(s3.bucket(r.bucket), config.query, undefined);
        return noContent;
      },
    });
  }
  return out;
}

export const bucketConfigRoutes: S3Route[] = configs.flatMap(rows);
