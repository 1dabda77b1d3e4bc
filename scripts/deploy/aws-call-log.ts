/**
 * Records the AWS calls the deploy scripts make, for the permission proof (tests/iam): with
 * BLUEMOXON_AWS_CALL_LOG=<file> set, every SDK client built by `awsClient()` appends one JSON line
 * per call — client, command and the identifying scalars of its input (names, ARNs, ids; never a
 * value such as SecretString) — before the call is sent. Unset, nothing is added to the clients.
 *
 * The rehearsal (tests/deploy/first-deploy-rehearsal.test.ts) sets it, tags each line with the CI
 * role that runs the step, and commits the result as tests/iam/recorded-calls.json.
 */
import { appendFileSync } from "node:fs";

export const callLogVariable = "BLUEMOXON_AWS_CALL_LOG";

/** One recorded SDK call. `input` holds only short scalar fields (see `identifyingInput`). */
export interface SdkCallRecord {
  via: "sdk";
  client: string;
  command: string;
  input: Record<string, string | number | boolean>;
}

// Inputs that carry a value rather than say what is acted on: never written.
const valueFields = /^(SecretString|SecretBinary|Value|Payload|ClientContext|Password|MasterUserPassword)$/i;

/** The short scalar fields of a command input (what names the resource), without any value field. */
export function identifyingInput(input: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (!input || typeof input !== "object") return out;
  for (const [k, v] of Object.entries(input)) {
    if (valueFields.test(k)) continue;
    if ((typeof v === "string" && v.length <= 300) || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input: unknown }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { input: unknown }) => Promise<unknown>,
      options: { step: "initialize"; name: string },
    ): void;
  };
}

/** Adds the recording middleware to `client` when BLUEMOXON_AWS_CALL_LOG names a file; returns the client. */
export function recordCalls<C>(client: C, environment: Record<string, string | undefined> = process.env): C {
  const file = environment[callLogVariable];
  if (!file) return client;
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const record: SdkCallRecord = {
        via: "sdk",
        client: context.clientName ?? "?",
        command: (context.commandName ?? "?").replace(/Command$/, ""),
        input: identifyingInput(args.input),
      };
      appendFileSync(file, `${JSON.stringify(record)}\n`);
      return next(args);
    },
    { step: "initialize", name: "bluemoxonCallLog" },
  );
  return client;
}
