/**
 * One execution environment of a function, as Lambda keeps one warm between invocations: a
 * handler child process (npm start) or a runtime that pulls its invocations from the Runtime API
 * (the worker image under compose, `invoke --image`). The mapping only needs these few verbs.
 */
import type { InvokeContext } from "./child-protocol.ts";

export interface ExecutionEnvironment {
  /** False once it crashed, timed out or was killed: the next batch gets a new one. */
  readonly alive: boolean;
  /** Process id when it is a child of this process (tests watch these being replaced). */
  readonly pid?: number;
  /** Runs one invocation; rejects with an `InvocationError` (error, crash or timeout). */
  invoke(event: unknown, context: InvokeContext, timeoutMs: number): Promise<unknown>;
  /** Ends it at once, as Lambda ends an environment that timed out. */
  kill(): void;
  /** Resolves once it is gone (at once where that cannot be observed). */
  exit(): Promise<void>;
}
