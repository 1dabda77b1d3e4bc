/**
 * SQS wire protocols: JSON 1.0 (`x-amz-target: AmazonSQS.Op`, SDK v3) and the form-encoded
 * query protocol with XML replies (older SDKs, CLIs). Both are parsed into the SDK's request
 * types for `SqsService` and its results rendered back in the caller's protocol.
 */
import type { EmulatedService, ServiceContext, ServiceErrors } from "../emulated-service.ts";
import { type AwsServiceError, AwsServiceError as ServiceError } from "../errors.ts";
import type { EmulatorRequest, HttpReply } from "../http-reply.ts";
import { checkJsonShape } from "../json-shape.ts";
import type { ServiceCall } from "../service-call.ts";
import { parseWireJson, prototypeKeys, wireRecord } from "../wire-record.ts";
import { escapeXml, toXml, type XmlNode } from "../xml.ts";
import { sqsError } from "./sqs-errors.ts";
import { SqsService } from "./sqs-service.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed wire input, validated field by field by the operation it is handed to.
type Input = Record<string, any>;
type Output = object;
type Operation = (service: SqsService, input: Input, principal: string | undefined) => Output | Promise<Output>;

/** An operation of the table: the parsed wire input goes to the method as the SDK request type it declares (the method validates every field). */
const op =
  <I>(method: (input: I, principal?: string) => Output | Promise<Output>): Operation =>
  (service, input, principal) =>
    method.call(service, input as I, principal);

const operations: Record<string, Operation> = {
  CreateQueue: op(SqsService.prototype.CreateQueue),
  GetQueueUrl: op(SqsService.prototype.GetQueueUrl),
  DeleteQueue: op(SqsService.prototype.DeleteQueue),
  PurgeQueue: op(SqsService.prototype.PurgeQueue),
  ListQueues: op(SqsService.prototype.ListQueues),
  GetQueueAttributes: op(SqsService.prototype.GetQueueAttributes),
  SetQueueAttributes: op(SqsService.prototype.SetQueueAttributes),
  SendMessage: op(SqsService.prototype.SendMessage),
  SendMessageBatch: op(SqsService.prototype.SendMessageBatch),
  ReceiveMessage: op(SqsService.prototype.ReceiveMessage),
  DeleteMessage: op(SqsService.prototype.DeleteMessage),
  DeleteMessageBatch: op(SqsService.prototype.DeleteMessageBatch),
  ChangeMessageVisibility: op(SqsService.prototype.ChangeMessageVisibility),
  ChangeMessageVisibilityBatch: op(SqsService.prototype.ChangeMessageVisibilityBatch),
  ListDeadLetterSourceQueues: op(SqsService.prototype.ListDeadLetterSourceQueues),
  TagQueue: op(SqsService.prototype.TagQueue),
  UntagQueue: op(SqsService.prototype.UntagQueue),
  ListQueueTags: op(SqsService.prototype.ListQueueTags),
};
const batchAction: Record<string, string> = {
  SendMessageBatch: "SendMessage",
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
};
const xmlns = "http://queue.amazonaws.com/doc/2012-11-05/";
const KiB = 1024;
const MiB = 1024 * KiB;
/**
 * Body caps. A message is at most 1 MiB (MaximumMessageSize's maximum), a batch's messages
 * together too; JSON escapes a body's tab, newline and quote characters as two bytes, form
 * encoding any byte as three; 64 KiB covers the other members and message attributes.
 */
const bodyLimits = { jsonMessages: 2 * MiB + 64 * KiB, json: 256 * KiB, query: 3 * MiB + 64 * KiB };
const messageOperations = new Set(["SendMessage", "SendMessageBatch"]);
const signatureStatus: Record<string, number> = { RequestExpired: 400 };

export class SqsProtocol implements EmulatedService {
  readonly name = "sqs" as const;
  readonly service: SqsService;
  readonly errors: ServiceErrors = {
    internal: () => sqsError("InternalError", "We encountered an internal error. Please try again.", 500),
    accessDenied: (message) => sqsError("AccessDenied", message, 403),
    signature: (code, message) => sqsError(code, message, code === "AccessDenied" ? 403 : (signatureStatus[code] ?? 403)),
    fault: (code, status, message) => sqsError(code, message, status),
    tooLarge: (limit) => sqsError("RequestEntityTooLarge", `The request body is larger than ${limit} bytes.`, 413),
  };

  constructor(private readonly context: ServiceContext) {
    this.service = new SqsService({ ...context, onChange: () => context.onChange() });
  }

  get state() {
    return this.service.store;
  }

  close(): void {
    this.service.close();
  }

  /**
   * From the headers alone (the body is read after authentication): a JSON target, an `Action`
   * in the query, or a form POST with no query (S3's POSTs all name a sub-resource in theirs).
   */
  accepts(req: EmulatorRequest): boolean {
    const target = req.headers["x-amz-target"];
    if (target) return target.startsWith("AmazonSQS.");
    if (req.query.has("Action")) return true;
    return (
      req.method === "POST" &&
      req.rawQuery === "" &&
      (req.headers["content-type"] ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")
    );
  }

  bodyLimit(req: EmulatorRequest): number {
    const target = req.headers["x-amz-target"];
    if (!target) return bodyLimits.query;
    return messageOperations.has(target.slice("AmazonSQS.".length)) ? bodyLimits.jsonMessages : bodyLimits.json;
  }

  renderError(req: EmulatorRequest, error: AwsServiceError): HttpReply {
    return req.headers["x-amz-target"] ? jsonError(error) : xmlError(error, req.requestId);
  }

  route(req: EmulatorRequest): ServiceCall {
    const { region, accountId } = this.context;
    const json = Boolean(req.headers["x-amz-target"]);
    let operation: string;
    let input: Input;
    if (json) {
      operation = req.headers["x-amz-target"].slice("AmazonSQS.".length);
      try {
        input = (req.body.length ? parseWireJson(req.body.toString("utf8")) : wireRecord()) as Input;
      } catch {
        throw new ServiceError("SerializationException", "Request body is not valid JSON.");
      }
      if (input === null || typeof input !== "object" || Array.isArray(input) || typeof input === "string") {
        throw new ServiceError("SerializationException", "Request body must be a JSON object.");
      }
    } else {
      const params = new URLSearchParams(req.query);
      if (req.body.length) for (const [k, v] of new URLSearchParams(req.body.toString("utf8"))) params.append(k, v);
      operation = params.get("Action") ?? "";
      input = queryInput(params);
      if (/^\/[^/]+\/[^/]+\/?$/.test(req.rawPath)) {
        if (!input.QueueUrl) input.QueueUrl = req.rawPath;
        else if (SqsService.nameFromUrl(input.QueueUrl) !== SqsService.nameFromUrl(req.rawPath))
          throw conflictingQueue("QueueUrl", req.rawPath);
      }
    }
    const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
    if (!run) {
      throw new ServiceError("InvalidAction", `The action ${operation} is not valid for this endpoint.`, 400, {
        queryCode: "InvalidAction",
      });
    }
    const queueName = actedOnQueue(operation, input);
    const arn = `arn:aws:sqs:${region}:${accountId}:${queueName ?? "*"}`;
    return {
      operation,
      resource: queueName,
      authorizations: [{ action: `sqs:${batchAction[operation] ?? operation}`, resource: arn }],
      run: async (principal) => {
        if (json) await checkJsonShape("sqs", operation, input);
        const output = await run(this.service, input, principal);
        return json
          ? { status: 200, headers: { "content-type": "application/x-amz-json-1.0" }, body: JSON.stringify(output) }
          : xmlResult(operation, output, req.requestId);
      },
    };
  }
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

const listNames: Record<string, string | undefined> = {
  AttributeName: "AttributeNames",
  MessageAttributeName: "MessageAttributeNames",
  MessageSystemAttributeName: "MessageSystemAttributeNames",
  TagKey: "TagKeys",
};

/**
 * Form parameters (`Attribute.1.Name`, `SendMessageBatchRequestEntry.2.MessageBody`, …) → JSON
 * input shape, built of wire records. A path segment naming a prototype (`__proto__.admin`) is
 * refused as AWS refuses a malformed query; a parameter that is both a value and a parent
 * (`A=1&A.B=2`) too.
 */
export function queryInput(params: URLSearchParams): Input {
  const tree: Input = wireRecord();
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version" || key.startsWith("X-Amz-") || key === "AUTHPARAMS") continue;
    const path = key.split(".");
    if (path.some((segment) => prototypeKeys.has(segment))) throw malformedQuery(key);
    let node = tree;
    for (let i = 0; i < path.length - 1; i++) {
      node[path[i]] ??= wireRecord();
      if (typeof node[path[i]] !== "object") throw malformedQuery(key);
      node = node[path[i]];
    }
    if (typeof node[path[path.length - 1]] === "object") throw malformedQuery(key);
    node[path[path.length - 1]] = value;
  }
  return convert(tree);
}

function malformedQuery(key: string): AwsServiceError {
  return new ServiceError("InvalidQueryParameter", `The AWS query string is malformed or does not adhere to AWS standards: ${key}.`, 400);
}

/** Entries of indexed `{ Name, Value }` (or `{ Key, Value }`) members as a wire record; members without a name are left out. */
function pairs(node: Input, name: string, value: string, missing?: () => unknown): Input {
  return wireRecord(
    indexed(node).flatMap((entry) =>
      entry !== null && typeof entry === "object" && typeof entry[name] === "string"
        ? [[entry[name], entry[value] ?? missing?.()] as const]
        : [],
    ),
  );
}

function convert(node: Input): Input {
  const out: Input = wireRecord();
  for (const [key, value] of Object.entries(node)) {
    const listName = Object.hasOwn(listNames, key) ? listNames[key] : undefined;
    if (typeof value === "string") {
      out[key] = value;
    } else if (key.endsWith("RequestEntry")) {
      out.Entries = indexed(value).map((e) => (typeof e === "object" ? convert(e) : e));
    } else if (listName) {
      out[listName] = indexed(value);
    } else if (key === "Attribute") {
      out.Attributes = pairs(value, "Name", "Value");
    } else if (key === "Tag") {
      out.Tags = pairs(value, "Key", "Value");
      out.tags = out.Tags;
    } else if (key === "MessageAttribute" || key === "MessageSystemAttribute") {
      out[`${key}s`] = pairs(value, "Name", "Value", wireRecord);
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

function queryOutput(operation: string, output: object): XmlNode {
  const node: XmlNode = wireRecord();
  for (const [key, value] of Object.entries(output)) {
    if (key === "Messages") node.Message = (value as object[]).map((m) => queryOutput(operation, m));
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
