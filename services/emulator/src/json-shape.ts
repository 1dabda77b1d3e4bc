/**
 * Checks a JSON-protocol request against the operation's input shape, as AWS's JSON services do
 * before running it: a list where a list belongs, a map or structure where one does, strings,
 * numbers and booleans in their places (`null` is an absent member; unknown members are ignored).
 * The shapes are the SDK's own (the Smithy schemas every SDK v3 client ships, walked with
 * `@smithy/core`'s NormalizedSchema, a dependency of those clients), loaded on the first JSON
 * request so the emulator still starts without the SDK. Before this, `"AttributeNames": {}` or
 * `"Filters": "x"` reached the service and came back as a 500.
 */
import { AwsServiceError } from "./errors.ts";

type Schema = unknown;
interface Normalized {
  isStructSchema(): boolean;
  isListSchema(): boolean;
  isMapSchema(): boolean;
  isStringSchema(): boolean;
  isNumericSchema(): boolean;
  isBooleanSchema(): boolean;
  isBlobSchema(): boolean;
  isTimestampSchema(): boolean;
  isBigIntegerSchema(): boolean;
  isBigDecimalSchema(): boolean;
  getValueSchema(): Normalized;
  structIterator(): Iterable<[string, Normalized]>;
}

const clients = {
  sqs: () => import("@aws-sdk/client-sqs") as Promise<Record<string, Schema>>,
  secretsmanager: () => import("@aws-sdk/client-secrets-manager") as Promise<Record<string, Schema>>,
};
const loaded = new Map<string, Promise<{ schemas: Record<string, Schema>; of: (s: Schema) => Normalized }>>();

function load(service: keyof typeof clients) {
  let entry = loaded.get(service);
  if (!entry) {
    entry = Promise.all([clients[service](), import("@smithy/core/schema")]).then(([schemas, core]) => ({
      schemas,
      of: (s: Schema) => (core as unknown as { NormalizedSchema: { of(s: Schema): Normalized } }).NormalizedSchema.of(s),
    }));
    loaded.set(service, entry);
  }
  return entry;
}

function mismatch(path: string, expected: string): AwsServiceError {
  return new AwsServiceError("SerializationException", `${path || "The request"} must be ${expected}.`, 400);
}

function check(value: unknown, schema: Normalized, path: string): void {
  if (value === null || value === undefined) return;
  if (schema.isStructSchema()) {
    if (typeof value !== "object" || Array.isArray(value)) throw mismatch(path, "a structure");
    for (const [name, member] of schema.structIterator()) {
      if (Object.hasOwn(value, name)) check((value as Record<string, unknown>)[name], member, path ? `${path}.${name}` : name);
    }
  } else if (schema.isListSchema()) {
    if (!Array.isArray(value)) throw mismatch(path, "a list");
    value.forEach((v, i) => {
      if (v === null) throw mismatch(`${path}[${i}]`, "a value");
      check(v, schema.getValueSchema(), `${path}[${i}]`);
    });
  } else if (schema.isMapSchema()) {
    if (typeof value !== "object" || Array.isArray(value)) throw mismatch(path, "a map");
    for (const [k, v] of Object.entries(value)) check(v, schema.getValueSchema(), `${path}.${k}`);
  } else if (schema.isStringSchema() || schema.isBlobSchema()) {
    if (typeof value !== "string") throw mismatch(path, "a string");
  } else if (schema.isNumericSchema() || schema.isBigIntegerSchema() || schema.isBigDecimalSchema()) {
    if (typeof value !== "number") throw mismatch(path, "a number");
  } else if (schema.isBooleanSchema()) {
    if (typeof value !== "boolean") throw mismatch(path, "a boolean");
  } else if (schema.isTimestampSchema()) {
    if (typeof value !== "number" && typeof value !== "string") throw mismatch(path, "a timestamp");
  }
}

/**
 * Throws SerializationException when `input` does not fit `operation`'s input shape.
 * @example
 * await checkJsonShape("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: {} }); // throws
 */
export async function checkJsonShape(service: keyof typeof clients, operation: string, input: unknown): Promise<void> {
  const { schemas, of } = await load(service);
  const schema = schemas[`${operation}Request$`];
  if (schema === undefined) return;
  check(input, of(schema), "");
}
