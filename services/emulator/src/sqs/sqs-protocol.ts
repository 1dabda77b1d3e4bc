/**
 * SQS wire protocols: JSON 1.0 (`x-amz-target: AmazonSQS.Op`, SDK v3) and the form-encoded
 * query protocol with XML replies (older SDKs, CLIs). Both map onto `SqsService`'s JSON shapes.
 */
import { type AwsServiceError, AwsServiceError as ServiceError } from "../errors.ts";
import type { EmulatorRequest, HttpReply } from "../http-reply.ts";
import type { ServiceCall } from "../service-call.ts";
import { escapeXml, toXml, type XmlNode } from "../xml.ts";
import { type Input, type Output, SqsService } from "./sqs-service.ts";

const operations = new Set([
  "CreateQueue",
  "GetQueueUrl",
  "DeleteQueue",
  "PurgeQueue",
  "ListQueues",
  "GetQueueAttributes",
  "SetQueueAttributes",
  "SendMessage",
  "SendMessageBatch",
  "ReceiveMessage",
  "DeleteMessage",
  "DeleteMessageBatch",
  "ChangeMessageVisibility",
  "ChangeMessageVisibilityBatch",
  "ListDeadLetterSourceQueues",
  "TagQueue",
  "UntagQueue",
  "ListQueueTags",
]);
const batchAction: Record<string, string> = {
  SendMessageBatch: "SendMessage",
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
};
const xmlns = "http://queue.amazonaws.com/doc/2012-11-05/";

export function isSqsRequest(req: EmulatorRequest): boolean {
  const target = req.headers["x-amz-target"];
  if (target) return target.startsWith("AmazonSQS.");
  if (req.query.has("Action")) return true;
  return (
    (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") &&
    /(^|&)Action=/.test(req.body.toString("latin1", 0, 4096))
  );
}

export function sqsCall(req: EmulatorRequest, service: SqsService, region: string, accountId: string): ServiceCall {
  const json = Boolean(req.headers["x-amz-target"]);
  let operation: string;
  let input: Input;
  if (json) {
    operation = req.headers["x-amz-target"].slice("AmazonSQS.".length);
    try {
      input = req.body.length ? JSON.parse(req.body.toString("utf8")) : {};
    } catch {
      input = {};
      operation = "__invalid_json";
    }
  } else {
    const params = new URLSearchParams(req.query);
    if (req.body.length) for (const [k, v] of new URLSearchParams(req.body.toString("utf8"))) params.append(k, v);
    operation = params.get("Action") ?? "";
    input = queryInput(params);
    if (/^\/[^/]+\/[^/]+\/?$/.test(req.rawPath)) {
      if (!input.QueueUrl) input.QueueUrl = req.rawPath;
      else if (SqsService.nameFromUrl(input.QueueUrl) !== SqsService.nameFromUrl(req.rawPath)) throw conflictingQueue("QueueUrl", req.rawPath);
    }
  }
  const queueName = actedOnQueue(operation, input);
  const arn = queueName ? `arn:aws:sqs:${region}:${accountId}:${queueName}` : `arn:aws:sqs:${region}:${accountId}:*`;
  const renderError = (error: AwsServiceError) => (json ? jsonError(error) : xmlError(error, req.requestId));
  return {
    service: "sqs",
    operation,
    resource: queueName,
    authorizations: [{ action: `sqs:${batchAction[operation] ?? operation}`, resource: arn }],
    renderError,
    async run(principal) {
      if (operation === "__invalid_json") throw new ServiceError("SerializationException", "Request body is not valid JSON.");
      if (!operations.has(operation)) {
        throw new ServiceError("InvalidAction", `The action ${operation} is not valid for this endpoint.`, 400, {
          queryCode: "InvalidAction",
        });
      }
      const fn = (service as unknown as Record<string, (i: Input, p?: string) => Output | Promise<Output>>)[operation];
      const output = await fn.call(service, input, principal);
      return json
        ? { status: 200, headers: { "content-type": "application/x-amz-json-1.0" }, body: JSON.stringify(output) }
        : xmlResult(operation, output, req.requestId);
    },
  };
}

const byName = new Set(["CreateQueue", "GetQueueUrl"]);

/**
 * The queue the operation acts on, which is what IAM authorizes: `QueueName` for the two
 * operations that take one, `QueueUrl` for every other. A request naming a second queue in the
 * other member is refused, so a policy can never be checked against a queue the call does not touch.
 */
function actedOnQueue(operation: string, input: Input): string | undefined {
  const name = typeof input.QueueName === "string" && input.QueueName !== "" ? input.QueueName : undefined;
  const fromUrl = SqsService.nameFromUrl(input.QueueUrl);
  if (byName.has(operation)) {
    if (fromUrl !== undefined && fromUrl !== name) throw conflictingQueue("QueueUrl", String(input.QueueUrl));
    return name;
  }
  if (name !== undefined && name !== fromUrl) throw conflictingQueue("QueueName", name);
  return fromUrl;
}

function conflictingQueue(member: string, value: string): AwsServiceError {
  return new ServiceError(
    "InvalidParameterValue",
    `Value ${value} for parameter ${member} is invalid. Reason: it names a different queue than the one the request acts on.`,
    400,
  );
}

export function jsonError(error: AwsServiceError): HttpReply {
  const queryCode = error.details.queryCode ?? error.code;
  return {
    status: error.status,
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amzn-query-error": `${queryCode};${error.senderFault ? "Sender" : "Receiver"}`,
      ...error.details.headers,
    },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${error.code}`, message: error.message }),
  };
}

export function xmlError(error: AwsServiceError, requestId: string): HttpReply {
  const code = error.details.queryCode ?? error.code;
  const body =
    `<?xml version="1.0"?><ErrorResponse xmlns="${xmlns}"><Error><Type>${error.senderFault ? "Sender" : "Receiver"}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(error.message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: error.status, headers: { "content-type": "text/xml", ...error.details.headers }, body };
}

const listNames: Record<string, string> = {
  AttributeName: "AttributeNames",
  MessageAttributeName: "MessageAttributeNames",
  MessageSystemAttributeName: "MessageSystemAttributeNames",
  TagKey: "TagKeys",
};

/** Form parameters (`Attribute.1.Name`, `SendMessageBatchRequestEntry.2.MessageBody`, …) → JSON input shape. */
export function queryInput(params: URLSearchParams): Input {
  const tree: Input = {};
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version" || key.startsWith("X-Amz-") || key === "AUTHPARAMS") continue;
    const path = key.split(".");
    let node = tree;
    for (let i = 0; i < path.length - 1; i++) node = node[path[i]] ??= {};
    node[path[path.length - 1]] = value;
  }
  return convert(tree);
}

function convert(node: Input): Input {
  const out: Input = {};
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === "string") {
      out[key] = value;
    } else if (key.endsWith("RequestEntry")) {
      out.Entries = indexed(value).map((e) => convert(e));
    } else if (listNames[key]) {
      out[listNames[key]] = indexed(value);
    } else if (key === "Attribute") {
      out.Attributes = Object.fromEntries(indexed(value).map((a) => [a.Name, a.Value]));
    } else if (key === "Tag") {
      out.Tags = Object.fromEntries(indexed(value).map((t) => [t.Key, t.Value]));
      out.tags = out.Tags;
    } else if (key === "MessageAttribute" || key === "MessageSystemAttribute") {
      out[`${key}s`] = Object.fromEntries(indexed(value).map((a) => [a.Name, a.Value ?? {}]));
    } else {
      out[key] = value;
    }
  }
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: see Input.
function indexed(node: Record<string, any>): any[] {
  return Object.keys(node)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => node[k]);
}

function xmlResult(operation: string, output: Output, requestId: string): HttpReply {
  const result = toXml(queryOutput(operation, output));
  const body =
    `<?xml version="1.0"?><${operation}Response xmlns="${xmlns}"><${operation}Result>${result}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
  return { status: 200, headers: { "content-type": "text/xml" }, body };
}

function queryOutput(operation: string, output: Output): XmlNode {
  const node: XmlNode = {};
  for (const [key, value] of Object.entries(output)) {
    if (key === "Messages") node.Message = (value as Output[]).map((m) => queryOutput(operation, m));
    else if (key === "Attributes")
      node.Attribute = Object.entries(value as Record<string, string>).map(([Name, Value]) => ({ Name, Value }));
    else if (key === "MessageAttributes") {
      node.MessageAttribute = Object.entries(value as Record<string, XmlNode>).map(([Name, Value]) => ({ Name, Value }));
    } else if (key === "QueueUrls" || key === "queueUrls") node.QueueUrl = value as string[];
    else if (key === "Tags") node.Tag = Object.entries(value as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));
    else if (key === "Successful") node[`${operation}ResultEntry`] = value as XmlNode[];
    else if (key === "Failed") node.BatchResultErrorEntry = value as XmlNode[];
    else node[key] = value as string;
  }
  return node;
}
