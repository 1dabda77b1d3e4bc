/** Which saved file reloads what under `npm start` (the watcher's filter, without a running stack). */
import { describe, expect, it } from "vitest";
import { reloadKinds } from "../../scripts/dev/watch-sources.ts";

describe("reloadKinds", () => {
  it.each([
    ["services/api/src/routes/health-routes.ts", ["api"]],
    ["packages/core/src/manifest.ts", ["api", "worker"]],
    ["services/worker/src/handler.ts", ["worker"]],
    ["services/worker/src/background/model.json", ["worker"]],
    ["pipeline.json", ["manifest"]],
  ])("%s → %j", (file, kinds) => {
    expect(reloadKinds(file)).toEqual(kinds);
  });

  it.each([
    "services/api/src/routes/health-routes.test.ts",
    "services/worker/src/handler.test.ts",
    "services/api/node_modules/x/index.js",
    ".local/pglite/base/1",
    "services/api/src/.routes.ts.swp",
    "services/api/README.md",
    "tests/dev/hot-reload.test.ts",
    "services/emulator/src/sqs/sqs-service.ts",
  ])("%s → nothing", (file) => {
    expect(reloadKinds(file)).toEqual([]);
  });
});
