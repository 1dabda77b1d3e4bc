/**
 * Identity-policy evaluation for the emulator's IAM enforcement: Allow statements only (the
 * manifest has no Deny), so a request is allowed when one statement matches both its action
 * and its resource. Matching follows IAM: `*` is any run of characters, `?` exactly one;
 * actions compare case-insensitively, resources (ARNs) case-sensitively.
 */

export interface PolicyStatement {
  Effect: "Allow";
  Action: string[];
  Resource: string[];
}

/** A caller the emulator knows by access key: a service's role, or the admin used for provisioning and tests. */
export interface Principal {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Allowed everything, like an account's root user. */
  admin?: boolean;
  statements: PolicyStatement[];
}

const patternCache = new Map<string, RegExp>();

function compile(pattern: string, caseInsensitive: boolean): RegExp {
  const cacheKey = `${caseInsensitive ? "i" : "s"}:${pattern}`;
  let re = patternCache.get(cacheKey);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\/]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    re = new RegExp(`^${body}$`, caseInsensitive ? "is" : "s");
    patternCache.set(cacheKey, re);
  }
  return re;
}

/** IAM wildcard match of one value against one pattern (`*`, `?`). */
export function matchesWildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  return compile(pattern, caseInsensitive).test(value);
}

/**
 * Whether `principal` may perform `action` (e.g. `sqs:SendMessage`) on `resourceArn`.
 * @example
 * isAllowed(principals.services.api, "sqs:GetQueueAttributes", names.queueArn("image-processing")); // true
 */
export function isAllowed(principal: Principal, action: string, resourceArn: string): boolean {
  if (principal.admin === true) return true;
  return principal.statements.some(
    (statement) =>
      statement.Effect === "Allow" &&
      statement.Action.some((pattern) => matchesWildcard(pattern, action, true)) &&
      statement.Resource.some((pattern) => matchesWildcard(pattern, resourceArn, false)),
  );
}
