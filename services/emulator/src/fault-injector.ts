/**
 * Fault injection for tests: chosen operations fail (or slow down) with errors that look exactly
 * like the service's own, so SDK retries and application code react as they would in AWS.
 */
import { randomUUID } from "node:crypto";
import type { ServiceErrors } from "./emulated-service.ts";
import type { AwsServiceError } from "./errors.ts";
import type { ServiceName } from "./service-call.ts";

export interface FaultSpec {
  service: ServiceName;
  /** Operation name as in the API (`SendMessage`, `GetObject`, `GetSecretValue`); any when unset. */
  operation?: string;
  /** Queue name, bucket name or secret name/ARN; any when unset. */
  resource?: string;
  /** S3 only: hit calls on objects whose key starts with this (never a bucket-level call). */
  keyPrefix?: string;
  /** Probability that a matching call is hit (default 1). */
  rate?: number;
  /** Hit at most this many calls (default unlimited). */
  count?: number;
  /** The error to return; when unset and no latency is given, the service's 500 internal error. */
  error?: { code: string; status: number; message?: string };
  /** Delay added before the call runs (or before the error is returned). */
  latencyMs?: number;
}

export interface FaultState extends FaultSpec {
  id: string;
  injected: number;
}

export interface Injection {
  faultId: string;
  service: ServiceName;
  operation: string;
  resource?: string;
  /** The object key, for a fault aimed by `keyPrefix`. */
  key?: string;
  at: string;
  error?: string;
  latencyMs?: number;
}

export interface FaultReport {
  faults: FaultState[];
  injections: Injection[];
  total: number;
}

export class FaultInjector {
  private readonly faults = new Map<string, FaultState>();
  private injections: Injection[] = [];
  private total = 0;

  /** `services`: the names a fault may target. */
  constructor(private readonly services: readonly ServiceName[] = ["sqs", "s3", "secretsmanager"]) {}

  add(spec: FaultSpec): string {
    if (!spec || !this.services.includes(spec.service)) throw new TypeError(`fault.service must be one of ${this.services.join(", ")}`);
    if (spec.keyPrefix !== undefined && (spec.service !== "s3" || typeof spec.keyPrefix !== "string" || spec.keyPrefix === ""))
      throw new TypeError("fault.keyPrefix must be a non-empty string, and only for s3");
    if (spec.rate !== undefined && !(spec.rate >= 0 && spec.rate <= 1)) throw new TypeError("fault.rate must be between 0 and 1");
    if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count >= 0))
      throw new TypeError("fault.count must be a non-negative integer");
    if (spec.error && (typeof spec.error.code !== "string" || !Number.isInteger(spec.error.status))) {
      throw new TypeError("fault.error needs a code and an integer status");
    }
    const id = randomUUID();
    this.faults.set(id, { ...spec, id, injected: 0 });
    return id;
  }

  remove(id: string): boolean {
    return this.faults.delete(id);
  }

  clear(): void {
    this.faults.clear();
    this.injections = [];
    this.total = 0;
  }

  report(): FaultReport {
    return { faults: [...this.faults.values()].map((f) => ({ ...f })), injections: [...this.injections], total: this.total };
  }

  get active(): boolean {
    return this.faults.size > 0;
  }

  /** The fault to apply to this call, if any (and counts it); `errors` shapes its error as the service's own. */
  match(
    service: ServiceName,
    operation: string,
    resource: string | undefined,
    errors: ServiceErrors,
    key?: string,
  ): { latencyMs: number; error?: AwsServiceError } | undefined {
    for (const fault of this.faults.values()) {
      if (fault.service !== service) continue;
      if (fault.operation && fault.operation !== operation) continue;
      if (fault.resource && fault.resource !== resource) continue;
      if (fault.keyPrefix !== undefined && !key?.startsWith(fault.keyPrefix)) continue;
      if (fault.count !== undefined && fault.injected >= fault.count) continue;
      if (fault.rate !== undefined && Math.random() >= fault.rate) continue;
      fault.injected++;
      this.total++;
      const internal = errors.internal();
      const error = fault.error
        ? errors.fault(fault.error.code, fault.error.status, fault.error.message ?? internal.message)
        : fault.latencyMs
          ? undefined
          : internal;
      this.injections.push({
        faultId: fault.id,
        service,
        operation,
        resource,
        ...(key !== undefined && fault.keyPrefix !== undefined ? { key } : {}),
        at: new Date().toISOString(),
        error: error?.code,
        latencyMs: fault.latencyMs,
      });
      if (this.injections.length > 1000) this.injections.shift();
      return { latencyMs: fault.latencyMs ?? 0, error };
    }
    return undefined;
  }
}
