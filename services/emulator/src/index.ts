export { AwsServiceError, EmulatorError } from "./errors.ts";
export type { FaultReport, FaultSpec, FaultState, Injection } from "./fault-injector.ts";
export { FaultInjector } from "./fault-injector.ts";
export type { IamApi, IamCall, IamOptions, Principal } from "./iam-gate.ts";
export type { ServiceName } from "./service-call.ts";
export { type Emulator, type EmulatorLog, type EmulatorOptions, startEmulator } from "./start-emulator.ts";
