/**
 * The one shape every emulated service has for `startEmulator`, faults and IAM: a protocol that
 * routes a request to a call and renders errors in the service's own wire format, and the errors
 * the cross-cutting parts raise, so none of them needs to know which service it talks to.
 */
import type { AwsServiceError } from "./errors.ts";
import type { EmulatorRequest, HttpReply } from "./http-reply.ts";
import type { SignatureErrorCode } from "./iam/sigv4.ts";
import type { ServiceCall, ServiceName } from "./service-call.ts";

/** Errors raised by the emulator around a service (faults, IAM, crashes), shaped as the service's own. */
export interface ServiceErrors {
  /** The service's 500 (`InternalError`, `InternalServiceError`). */
  internal(): AwsServiceError;
  accessDenied(message: string): AwsServiceError;
  /** A request whose signature could not be verified. */
  signature(code: SignatureErrorCode, message: string): AwsServiceError;
  /** An injected fault's error. */
  fault(code: string, status: number, message: string): AwsServiceError;
  /** A request body larger than `limit` bytes (`size` when its length was declared). */
  tooLarge(limit: number, size?: number): AwsServiceError;
}

export interface ServiceState<T = unknown> {
  /** File name under the data folder (`sqs.json`). */
  file: string;
  snapshot(): T;
  restore(snapshot: T): void;
}

export interface EmulatedService {
  readonly name: ServiceName;
  /** Whether the request is for this service (services are asked in order; S3 answers the rest). */
  accepts(req: EmulatorRequest): boolean;
  /**
   * The largest body this request may carry, in bytes, from its headers alone (the body is not
   * read yet): the operation's documented maximum plus its encoding. Larger bodies are refused unread.
   */
  bodyLimit(req: EmulatorRequest): number;
  /**
   * How a request from a web page (it carries an `Origin`) is answered, from its headers alone: the
   * CORS headers to add, or the refusal. A service without it has no CORS (SQS, Secrets Manager):
   * every such request is refused.
   */
  crossOrigin?(req: EmulatorRequest, preflight: boolean): Promise<Record<string, string> | AwsServiceError>;
  /** Pure: reads the request, changes no state. Throws only `AwsServiceError`s, which `renderError` shows. */
  route(req: EmulatorRequest): ServiceCall;
  renderError(req: EmulatorRequest, error: AwsServiceError): HttpReply;
  readonly errors: ServiceErrors;
  readonly state: ServiceState;
  /** Ends pending work (long polls) before the server closes. */
  close?(): void;
}

/** What a service gets from `startEmulator`. */
export interface ServiceContext {
  region: string;
  accountId: string;
  /** The emulator's URL (queue URLs, S3 `Location`). */
  baseUrl: string;
  dataDir?: string;
  /** State changed: schedule a snapshot; `afterWrite` runs once it is on disk. */
  onChange(afterWrite?: () => void): void;
}
