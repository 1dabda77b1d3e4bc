/**
 * What the event source mapping does with a batch after the handler answered, following
 * Lambda's `ReportBatchItemFailures` rules: no answer, `{}` or an empty/null list is success;
 * a list of known message ids keeps only those; anything else (unknown or empty ids, wrong
 * shape, a non-object answer) counts as a failure of the whole batch.
 */

export type BatchOutcome =
  | { kind: "success"; keep: [] }
  | { kind: "partial"; keep: string[] }
  | { kind: "malformed"; keep: string[]; reason: string };

export function batchOutcome(response: unknown, messageIds: string[]): BatchOutcome {
  const all = (reason: string): BatchOutcome => ({ kind: "malformed", keep: [...messageIds], reason });
  if (response === undefined || response === null) return { kind: "success", keep: [] };
  if (typeof response !== "object" || Array.isArray(response)) return all(`response is not an object (${typeof response})`);
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: "success", keep: [] };
  if (!Array.isArray(failures)) return all("batchItemFailures is not a list");
  if (failures.length === 0) return { kind: "success", keep: [] };
  const known = new Set(messageIds);
  const keep = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "") return all("a batchItemFailures entry has no itemIdentifier");
    if (!known.has(id)) return all(`itemIdentifier "${id}" is not a message of this batch`);
    keep.add(id);
  }
  return { kind: "partial", keep: [...keep] };
}
