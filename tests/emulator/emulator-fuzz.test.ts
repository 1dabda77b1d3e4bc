/**
 * The emulator fuzzed like a server (fast-check): real requests as SDK v3 serialises and signs
 * them (SQS JSON 1.0, Secrets Manager JSON 1.1, S3 REST-XML) and as the CLI forms SQS query
 * requests, mutated in headers, body, path, query and method, or replaced by random bytes. Every
 * answer must be a 4xx or a success in the service's own shape (S3's 501 NotImplemented, S3's
 * documented answer to an operation it lacks, is the one 5xx allowed; no faults are injected), it
 * must come (no hang), Object.prototype must stay as it was, and with IAM on nothing may change
 * unless the mutated request still carries a valid signature.
 *
 * `FUZZ_RUNS` sets the runs per property (default 60: a few seconds in npm test).
 */

import { createHash } from "node:crypto";
import { request } from "node:http";
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { ListSecretsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand, ListQueuesCommand, ListQueueTagsCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type Emulator, startEmulator } from "@bluemoxon/emulator";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyRequestSignature } from "../../services/emulator/src/iam/index.ts";
import { captureSdkRequests, queryRequests, type WireRequest } from "./support/sdk-requests.ts";

const runs = Number(process.env.FUZZ_RUNS ?? 60);
const region = "us-east-1";
const baseline = Object.getOwnPropertyNames(Object.prototype).join(",");
const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

const nastyKeys = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "", "Action", "QueueUrl", "QueueName"];
const nastyText = [
  "__proto__",
  "constructor.prototype.admin",
  "..",
  "../..",
  "%",
  "%ZZ",
  "%00",
  "\u0000",
  "\u2028",
  "a".repeat(300),
  "*",
  "?uploads",
  "AmazonSQS.",
  "secretsmanager.",
];
const headerNames = [
  "x-amz-target",
  "content-type",
  "x-amz-content-sha256",
  "x-amz-date",
  "authorization",
  "content-encoding",
  "x-amz-decoded-content-length",
  "x-amz-copy-source",
  "x-amz-checksum-crc32",
  "x-amz-sdk-checksum-algorithm",
  "content-md5",
  "range",
  "if-match",
  "origin",
  "sec-fetch-site",
  "x-amz-meta-__proto__",
  "__proto__",
  "constructor",
];
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...nastyText), fc.string({ unit: "grapheme", maxLength: 12 }));
const jsonValue = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(fc.oneof(text, fc.constantFrom(...nastyKeys)), text, { maxKeys: 3 }),
);

type Mutation =
  | { kind: "header"; name: string; value: string }
  | { kind: "drop-header"; pick: number }
  | { kind: "json"; node: number; key: string | number; value: unknown; drop: boolean }
  | { kind: "form"; key: string; value: string }
  | { kind: "bytes"; at: number; bytes: Uint8Array; cut: number }
  | { kind: "path"; value: string }
  | { kind: "query"; key: string; value: string }
  | { kind: "method"; value: string }
  | { kind: "random-body"; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("header" as const),
    name: fc.oneof(fc.constantFrom(...headerNames), fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/)),
    value: text,
  }),
  fc.record({ kind: fc.constant("drop-header" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("json" as const),
    node: fc.nat(),
    key: fc.oneof(fc.nat(), fc.constantFrom(...nastyKeys), text),
    value: jsonValue,
    drop: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("form" as const),
    key: fc.oneof(
      fc.constantFrom(...nastyKeys, "Attribute.1.Name", "MessageAttribute.1.Value.DataType", "__proto__.admin", "Tag.1.Key"),
      text,
    ),
    value: text,
  }),
  fc.record({ kind: fc.constant("bytes" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }), cut: fc.nat({ max: 8 }) }),
  fc.record({
    kind: fc.constant("path" as const),
    value: fc.oneof(
      fc.constantFrom("/", "//", "/fuzz", "/fuzz/a/../b", "/%ZZ", "/000000000000/fuzz", "/__proto__/x", "/fuzz/?uploads"),
      text.map((t) => `/${encodeURI(t)}`),
    ),
  }),
  fc.record({
    kind: fc.constant("query" as const),
    key: fc.oneof(
      fc.constantFrom(
        "Action",
        "uploads",
        "uploadId",
        "partNumber",
        "delete",
        "cors",
        "list-type",
        "max-keys",
        "X-Amz-Credential",
        "__proto__",
        "constructor",
      ),
      text,
    ),
    value: text,
  }),
  fc.record({ kind: fc.constant("method" as const), value: fc.constantFrom("GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS") }),
  fc.record({ kind: fc.constant("random-body" as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
);

const headerSafe = (v: string) => v.replace(/[^\t\x20-\x7e]/g, "x");
const fixed = new Set(["host", "content-length", "transfer-encoding", "connection", "expect"]);

/** JSON object nodes of a document, depth first. */
function objects(doc: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (doc !== null && typeof doc === "object") {
    if (!Array.isArray(doc)) out.push(doc as Record<string, unknown>);
    for (const v of Object.values(doc)) objects(v, out);
  }
  return out;
}

function apply(base: WireRequest, mutations: Mutation[]): WireRequest {
  const r: WireRequest = { ...base, headers: { ...base.headers }, body: base.body };
  for (const m of mutations) {
    if (m.kind === "header") {
      if (!fixed.has(m.name)) r.headers[m.name] = headerSafe(m.value);
    } else if (m.kind === "drop-header") {
      const names = Object.keys(r.headers).filter((n) => !fixed.has(n));
      if (names.length) delete r.headers[names[m.pick % names.length]];
    } else if (m.kind === "json") {
      let doc: unknown;
      try {
        doc = JSON.parse(r.body.toString("utf8"));
      } catch {
        continue;
      }
      const nodes = objects(doc);
      if (!nodes.length) continue;
      const node = nodes[m.node % nodes.length];
      const keys = Object.keys(node);
      const key = typeof m.key === "number" ? (keys[m.key % Math.max(keys.length, 1)] ?? "x") : m.key;
      if (/WaitTimeSeconds/.test(key)) continue;
      if (m.drop) delete node[key];
      else Object.defineProperty(node, key, { value: m.value, enumerable: true, writable: true, configurable: true });
      r.body = Buffer.from(JSON.stringify(doc));
    } else if (m.kind === "form") {
      if (/WaitTimeSeconds/.test(m.key)) continue;
      r.body = Buffer.concat([r.body, Buffer.from(`&${encodeURIComponent(m.key)}=${encodeURIComponent(m.value)}`)]);
    } else if (m.kind === "bytes") {
      const at = r.body.length ? m.at % r.body.length : 0;
      r.body = Buffer.concat([r.body.subarray(0, at), Buffer.from(m.bytes), r.body.subarray(at + m.cut)]);
    } else if (m.kind === "path") {
      const q = r.target.indexOf("?");
      r.target = m.value + (q < 0 ? "" : r.target.slice(q));
    } else if (m.kind === "query") {
      if (/WaitTimeSeconds/.test(m.key)) continue;
      r.target += `${r.target.includes("?") ? "&" : "?"}${encodeURIComponent(m.key)}=${encodeURIComponent(m.value)}`;
    } else if (m.kind === "method") {
      r.method = m.value;
    } else {
      r.body = Buffer.from(m.bytes);
    }
  }
  return r;
}

function send(url: string, r: WireRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers = { ...r.headers, host: target.host, "content-length": String(r.body.length) };
    const req = request({ host: target.hostname, port: target.port, method: r.method, path: r.target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(r.body);
  });
}

function expectHandled(answer: { status: number; body: string }, r: WireRequest) {
  count(`status ${answer.status}`);
  const what = `${r.method} ${r.target} ${JSON.stringify(r.headers).slice(0, 300)} ${r.body.toString("utf8").slice(0, 300)} → ${answer.status} ${answer.body.slice(0, 300)}`;
  // A HEAD answer has no body to name its error.
  if (answer.status === 501)
    expect(r.method === "HEAD" ? "<Code>NotImplemented</Code>" : answer.body, what).toContain("<Code>NotImplemented</Code>");
  else expect(answer.status, what).toBeLessThan(500);
  expect(Object.getOwnPropertyNames(Object.prototype).join(","), what).toBe(baseline);
  expect(({} as Record<string, unknown>).admin, what).toBeUndefined();
}

describe("fuzzing the emulator's parsers and routers", () => {
  let open: Emulator;
  let signed: Emulator;
  let corpusOpen: WireRequest[];
  let corpusSigned: WireRequest[];
  let state: () => Promise<string>;

  beforeAll(async () => {
    open = await startEmulator({ port: 0 });
    signed = await startEmulator({ port: 0, iam: { enforce: true, principals: [] } });
    corpusOpen = [...(await captureSdkRequests(open.url, { accessKeyId: "test", secretAccessKey: "test" })), ...queryRequests(open.url)];
    corpusSigned = [...(await captureSdkRequests(signed.url, signed.iam.adminCredentials)), ...queryRequests(signed.url)];
    // Some state for the mutated requests to act on: every captured request once, as sent.
    for (const r of corpusOpen) await send(open.url, r);
    for (const r of corpusSigned) await send(signed.url, r);
    const credentials = signed.iam.adminCredentials;
    const sqs = new SQSClient({ endpoint: signed.url, region, credentials, maxAttempts: 1 });
    const s3 = new S3Client({ endpoint: signed.url, region, credentials, forcePathStyle: true, maxAttempts: 1 });
    const secrets = new SecretsManagerClient({ endpoint: signed.url, region, credentials, maxAttempts: 1 });
    state = async () => {
      const parts: unknown[] = [];
      for (const QueueUrl of (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []) {
        const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
        // Messages move between delayed, visible and in flight with time alone: only their total is state.
        const {
          ApproximateNumberOfMessages: a,
          ApproximateNumberOfMessagesNotVisible: b,
          ApproximateNumberOfMessagesDelayed: c,
          ...rest
        } = Attributes;
        parts.push(QueueUrl, rest, Number(a) + Number(b) + Number(c), (await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags);
      }
      for (const b of (await s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
        parts.push(
          b.Name,
          (await s3.send(new ListObjectsV2Command({ Bucket: b.Name }))).Contents?.map((o) => [o.Key, o.ETag]),
        );
      }
      parts.push((await secrets.send(new ListSecretsCommand({}))).SecretList?.map((s) => [s.Name, s.SecretVersionsToStages, s.Tags]));
      return JSON.stringify(parts);
    };
  });

  afterAll(async () => {
    await open?.close();
    await signed?.close();
    console.log(
      `[fuzz] ${runs} runs per property; answers: ${[...tally]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ")}`,
    );
  });

  it("IAM off: mutated SDK and CLI requests get 4xx or success, never a 5xx, and poison nothing", async () => {
    expect(corpusOpen.length).toBeGreaterThan(35);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (pick, mutations) => {
        const r = apply(corpusOpen[pick % corpusOpen.length], mutations);
        expectHandled(await send(open.url, r), r);
      }),
      { numRuns: runs },
    );
  });

  it("IAM on: a mutated request changes nothing unless its signature still verifies", async () => {
    const lookup = (id: string) =>
      id === signed.iam.adminCredentials.accessKeyId ? signed.iam.adminCredentials.secretAccessKey : undefined;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (pick, mutations) => {
        const r = apply(corpusSigned[pick % corpusSigned.length], mutations);
        const before = await state();
        const answer = await send(signed.url, r);
        expectHandled(answer, r);
        const q = r.target.indexOf("?");
        const verified = verifyRequestSignature(
          {
            method: r.method,
            rawPath: q < 0 ? r.target : r.target.slice(0, q),
            rawQuery: q < 0 ? "" : r.target.slice(q + 1),
            headers: { ...r.headers, host: new URL(signed.url).host, "content-length": String(r.body.length) },
            payloadHash: createHash("sha256").update(r.body).digest("hex"),
          },
          lookup,
        );
        count(verified.ok ? "still signed" : "signature broken");
        if (!verified.ok) expect(await state(), `${r.method} ${r.target} → ${answer.status}`).toBe(before);
      }),
      { numRuns: runs },
    );
  });

  it("random bytes as a request: any method, path and headers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"),
        text.map((t) => `/${encodeURI(t)}`),
        fc.dictionary(fc.oneof(fc.constantFrom(...headerNames), fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/)), text.map(headerSafe), {
          maxKeys: 5,
        }),
        fc.uint8Array({ maxLength: 300 }),
        async (method, target, headers, body) => {
          const r: WireRequest = {
            method,
            target,
            headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !fixed.has(k))),
            body: Buffer.from(body),
          };
          expectHandled(await send(open.url, r), r);
        },
      ),
      { numRuns: runs },
    );
  });
});
