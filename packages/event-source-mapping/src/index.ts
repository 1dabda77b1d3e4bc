export { type BatchOutcome, batchOutcome } from "./batch-outcome.ts";
export { InvocationError, TriggerStartError } from "./errors.ts";
export type { FunctionTriggerStats } from "./function-trigger.ts";
export { eventSourceMappingConfigSchema, type RunningEventSourceMapping, runEventSourceMapping } from "./run-event-source-mapping.ts";
export { type StartTriggersOptions, startTriggers, type TriggerCredentials, type Triggers } from "./start-triggers.ts";
export { toSqsEvent, toSqsRecord } from "./to-sqs-event.ts";
