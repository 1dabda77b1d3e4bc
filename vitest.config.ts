import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` (the `*.test.ts` beside the code: no PostgreSQL, no servers, seconds) and
 * `integration` (`tests/`: a throwaway PostgreSQL cluster from the global setup, the emulator,
 * whole stacks, the real model). `npm test` runs both; `npm run test:unit` only the first.
 */
export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "**/dist/**"],
    pool: "forks",
    // Two cores: heavy files (real model, whole stacks) must not all run at once.
    maxWorkers: 2,
    // Generous: several files run the real model, and two run at once on two cores. A timeout
    // here only guards against hangs; behaviour is asserted, never speed.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ["default"],
    outputFile: {},
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "integration", include: ["tests/**/*.test.ts"], globalSetup: ["tests/support/postgres-global-setup.ts"] },
      },
    ],
  },
});
