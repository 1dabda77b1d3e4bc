/**
 * Secrets Manager's wire protocol, JSON 1.1 (`x-amz-target: secretsmanager.Op`): parses the body
 * into the operation's SDK request type, names the secret IAM authorizes (CreateSecret: the ARN
 * the secret is about to get), and renders results and errors.
 */
import type { EmulatedService, ServiceContext, ServiceErrors } from "../emulated-service.ts";
import { AwsServiceError } from "../errors.ts";
import type { EmulatorRequest, HttpReply } from "../http-reply.ts";
import { checkJsonShape } from "../json-shape.ts";
import type { ServiceCall } from "../service-call.ts";
import { parseWireJson, wireRecord } from "../wire-record.ts";
import { SecretsService } from "./secrets-service.ts";
import { isExpired, SecretsStore } from "./secrets-store.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed wire input, validated field by field by the operation it is handed to.
type Input = Record<string, any>;
type Operation = (service: SecretsService, input: Input, arn: string | undefined) => object;

/** An operation of the table: the parsed wire input goes to the method as the SDK request type it declares (the method validates every field). */
const op =
  <I>(method: (input: I, arn?: string) => object): Operation =>
  (service, input, arn) =>
    method.call(service, input as I, arn);

const operations: Record<string, Operation> = {
  CreateSecret: op(SecretsService.prototype.CreateSecret),
  GetSecretValue: op(SecretsService.prototype.GetSecretValue),
  BatchGetSecretValue: op(SecretsService.prototype.BatchGetSecretValue),
  PutSecretValue: op(SecretsService.prototype.PutSecretValue),
  UpdateSecret: op(SecretsService.prototype.UpdateSecret),
  DescribeSecret: op(SecretsService.prototype.DescribeSecret),
  ListSecrets: op(SecretsService.prototype.ListSecrets),
  ListSecretVersionIds: op(SecretsService.prototype.ListSecretVersionIds),
  DeleteSecret: op(SecretsService.prototype.DeleteSecret),
  RestoreSecret: op(SecretsService.prototype.RestoreSecret),
  TagResource: op(SecretsService.prototype.TagResource),
  UntagResource: op(SecretsService.prototype.UntagResource),
  GetResourcePolicy: op(SecretsService.prototype.GetResourcePolicy),
  PutResourcePolicy: op(SecretsService.prototype.PutResourcePolicy),
  DeleteResourcePolicy: op(SecretsService.prototype.DeleteResourcePolicy),
};
const signatureCodes: Record<string, string> = {
  MissingAuthenticationToken: "MissingAuthenticationTokenException",
  InvalidClientTokenId: "UnrecognizedClientException",
  SignatureDoesNotMatch: "InvalidSignatureException",
  RequestExpired: "InvalidSignatureException",
};
const prefix = "secretsmanager.";
/** A secret value is at most 64 KiB; JSON may escape each character as six bytes (`\u0001`). Other calls are small. */
const valueOperations = new Set(["CreateSecret", "PutSecretValue", "UpdateSecret", "PutResourcePolicy"]);
const bodyLimits = { value: 6 * 64 * 1024 + 16 * 1024, other: 64 * 1024 };

export class SecretsProtocol implements EmulatedService {
  readonly name = "secretsmanager" as const;
  readonly state: SecretsStore;
  readonly service: SecretsService;
  readonly errors: ServiceErrors = {
    internal: () => new AwsServiceError("InternalServiceError", "An error occurred on the server side.", 500),
    accessDenied: (message) => new AwsServiceError("AccessDeniedException", message, 400),
    signature: (code, message) =>
      code === "AccessDenied" ? this.errors.accessDenied(message) : new AwsServiceError(signatureCodes[code] ?? code, message, 400),
    fault: (code, status, message) => new AwsServiceError(code, message, status),
    tooLarge: (limit) => new AwsServiceError("RequestEntityTooLarge", `The request body is larger than ${limit} bytes.`, 413),
  };

  constructor(context: ServiceContext) {
    this.state = new SecretsStore({ ...context, onChange: () => context.onChange() });
    this.service = new SecretsService(this.state);
  }

  accepts(req: EmulatorRequest): boolean {
    return req.headers["x-amz-target"]?.startsWith(prefix) ?? false;
  }

  bodyLimit(req: EmulatorRequest): number {
    return valueOperations.has(req.headers["x-amz-target"].slice(prefix.length)) ? bodyLimits.value : bodyLimits.other;
  }

  renderError(_req: EmulatorRequest, error: AwsServiceError): HttpReply {
    return {
      status: error.status,
      headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": error.code, ...error.details.headers },
      body: JSON.stringify({ __type: error.code, Message: error.message, message: error.message }),
    };
  }

  route(req: EmulatorRequest): ServiceCall {
    const operation = req.headers["x-amz-target"].slice(prefix.length);
    let input: Input;
    try {
      input = (req.body.length ? parseWireJson(req.body.toString("utf8")) : wireRecord()) as Input;
    } catch {
      throw new AwsServiceError("SerializationException", "Request body is not valid JSON.", 400);
    }
    if (input === null || typeof input !== "object" || Array.isArray(input) || typeof input === "string") {
      throw new AwsServiceError("SerializationException", "Request body must be a JSON object.", 400);
    }
    const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
    if (!run) throw new AwsServiceError("UnknownOperationException", `Unknown operation ${operation}`, 400);
    const id: unknown = operation === "CreateSecret" ? input.Name : input.SecretId;
    const found = this.state.lookup(id);
    const existing = found && !isExpired(found) ? found : undefined;
    // CreateSecret is authorized against the ARN the secret is about to get.
    const pendingArn = operation === "CreateSecret" && typeof id === "string" && !existing ? this.state.newArn(id) : undefined;
    const resource = existing?.arn ?? pendingArn ?? (typeof id === "string" && id ? this.state.arnFor(id) : "*");
    return {
      operation,
      resource: typeof id === "string" ? (existing?.name ?? id) : undefined,
      authorizations: [{ action: `secretsmanager:${operation}`, resource }],
      run: async () => {
        await checkJsonShape("secretsmanager", operation, input);
        return {
          status: 200,
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: JSON.stringify(run(this.service, input, pendingArn)),
        };
      },
    };
  }
}
