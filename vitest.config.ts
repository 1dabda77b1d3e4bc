import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    globalSetup: ["tests/support/postgres-global-setup.ts"],
    pool: "forks",
    // Two cores: heavy files (real model, whole stacks) must not all run at once.
    maxWorkers: 2,
    // Generous: several files run the real model, and two run at once on two cores. A timeout
    // here only guards against hangs; behaviour is asserted, never speed.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ["default"],
    outputFile: {},
  },
});
