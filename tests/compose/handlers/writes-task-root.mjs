// Test handler: writes next to its own code. On Lambda /var/task is read-only (EROFS); the error
// fails the invocation.
import { writeFileSync } from "node:fs";

export const handler = async () => {
  writeFileSync("/var/task/cache.json", "{}");
  return { batchItemFailures: [] };
};
