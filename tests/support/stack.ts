/**
 * The whole local stack for a test, started exactly as a developer starts it (`npm start`, with
 * free ports and a temp DATA_DIR), through the one start-stack code in scripts/dev/.
 *
 * @example
 * const stack = await startStack();
 * afterAll(() => stack.stop());
 * await fetch(`${stack.api}/api/v1/books`, { headers: { "X-API-Key": stack.apiKey } });
 */
import { type SpawnedStack, type SpawnStackOptions, spawnStack } from "../../scripts/dev/spawn-stack.ts";

export type { StackInfo } from "../../scripts/dev/spawn-stack.ts";
export type Stack = SpawnedStack;
export type StartStackOptions = SpawnStackOptions;

export function startStack(options: StartStackOptions = {}): Promise<Stack> {
  return spawnStack(options);
}
