/**
 * go-live (scripts/deploy/go-live.ts): the migrations' own function, at its new version, migrates
 * the database before any `live` alias moves (an environment from before that function: the new
 * API version), and a failed migration moves none (the previous release keeps serving). `live`
 * moves to the version this apply published (terraform output published_versions), never to the
 * highest one: a version 4 published by someone else after this apply's 3 does not go live.
 * Against an in-memory Lambda that records the calls in order (moto cannot run our images).
 */
import { GetAliasCommand, InvokeCommand, ListVersionsByFunctionCommand, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { loadManifest } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";
import { GoLiveError, goLive, parsePublished } from "../../scripts/deploy/go-live.ts";

const manifest = loadManifest();
const functions = ["bluemoxon-staging-api", ...Object.keys(manifest.functions).map((f) => `bluemoxon-staging-${f}`)];

/** What this apply published: version 3 of every function (and of the migrate function). */
const published = Object.fromEntries([...functions, "bluemoxon-staging-migrate"].map((f) => [f, "3"]));

/**
 * Every function has versions 1..4 published, `live` on 2: the apply published 3, and 4 is
 * someone else's (a hand-published version, another run's) — the highest, not this apply's.
 */
function fakeLambda({ migrateFails = false, migrateFunction = true } = {}) {
  const calls: string[] = [];
  const live: Record<string, string> = Object.fromEntries(functions.map((f) => [f, "2"]));
  const send = async (command: unknown) => {
    if (command instanceof ListVersionsByFunctionCommand) {
      if (command.input.FunctionName === "bluemoxon-staging-migrate" && !migrateFunction)
        throw Object.assign(new Error("Function not found"), { name: "ResourceNotFoundException" });
      return { Versions: ["$LATEST", "1", "4", "3", "2"].map((Version) => ({ Version })) };
    }
    if (command instanceof GetAliasCommand) return { FunctionVersion: live[command.input.FunctionName ?? ""] };
    if (command instanceof InvokeCommand) {
      calls.push(
        `invoke ${command.input.FunctionName}:${command.input.Qualifier} ${Buffer.from(command.input.Payload as Uint8Array).toString()}`,
      );
      return migrateFails
        ? { FunctionError: "Unhandled", Payload: Buffer.from('{"errorMessage":"relation exists"}') }
        : { Payload: Buffer.from('{"applied":1}') };
    }
    if (command instanceof UpdateAliasCommand) {
      calls.push(`alias ${command.input.FunctionName} → ${command.input.FunctionVersion}`);
      live[command.input.FunctionName ?? ""] = command.input.FunctionVersion ?? "";
      return {};
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  };
  return { lambda: { send } as never, calls, live };
}

describe("go-live", () => {
  it("migrates with the migrate function's version this apply published, then moves every live alias to it (not the highest)", async () => {
    const fake = fakeLambda();
    const live = await goLive({ env: "staging", manifest, published, lambda: fake.lambda, log: () => {} });
    expect(fake.calls).toEqual(["invoke bluemoxon-staging-migrate:3 {}", ...functions.map((f) => `alias ${f} → 3`)]);
    expect(live).toEqual(Object.fromEntries(functions.map((f) => [f, "3"])));
  });

  it("an environment applied before the migrate function existed migrates with the new API version (not live)", async () => {
    const fake = fakeLambda({ migrateFunction: false });
    const { "bluemoxon-staging-migrate": _, ...withoutMigrate } = published;
    await goLive({ env: "staging", manifest, published: withoutMigrate, lambda: fake.lambda, log: () => {} });
    expect(fake.calls).toEqual(['invoke bluemoxon-staging-api:3 {"action":"migrate"}', ...functions.map((f) => `alias ${f} → 3`)]);
  });

  it("moves no alias when the migration fails, and says the previous release still serves", async () => {
    const fake = fakeLambda({ migrateFails: true });
    await expect(goLive({ env: "staging", manifest, published, lambda: fake.lambda, log: () => {} })).rejects.toThrow(
      /migration of staging failed; no alias was moved, the previous release still serves: .*relation exists/,
    );
    expect(fake.calls).toEqual(["invoke bluemoxon-staging-migrate:3 {}"]);
    expect(Object.values(fake.live)).toEqual(functions.map(() => "2"));
  });

  it("--skip-migrate only moves the aliases", async () => {
    const fake = fakeLambda();
    await goLive({ env: "staging", manifest, published, lambda: fake.lambda, skipMigrate: true, log: () => {} });
    expect(fake.calls).toEqual(functions.map((f) => `alias ${f} → 3`));
  });

  it("moves no alias when the apply reported no published version of a function", async () => {
    const fake = fakeLambda();
    const { "bluemoxon-staging-image-worker": _, ...partial } = published;
    await expect(goLive({ env: "staging", manifest, published: partial, lambda: fake.lambda, log: () => {} })).rejects.toThrow(
      /no published version of bluemoxon-staging-image-worker .*no alias was moved/,
    );
    expect(fake.calls).toEqual([]);
  });

  it("reads terraform's output and refuses what is not a published version number", () => {
    expect(parsePublished('{"bluemoxon-staging-api":"7","bluemoxon-staging-migrate":7}')).toEqual({
      "bluemoxon-staging-api": "7",
      "bluemoxon-staging-migrate": "7",
    });
    expect(() => parsePublished('{"bluemoxon-staging-api":"$LATEST"}')).toThrow(GoLiveError);
    expect(() => parsePublished('{"bluemoxon-staging-api":""}')).toThrow(/not a published version number/);
    expect(() => parsePublished("[]")).toThrow(/must be an object/);
    expect(() => parsePublished("not json")).toThrow(/not JSON/);
  });
});
