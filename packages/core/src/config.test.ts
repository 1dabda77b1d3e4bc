import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, envBool, envInt, envUrl, loadConfig, optionalString, requiredString } from "./config.ts";

const schema = z.object({
  IMAGE_BUCKET: requiredString(),
  API_KEY_SECRET_ID: requiredString(),
  PORT: envInt(3000),
  EBAY_API_BASE_URL: envUrl().default("https://api.ebay.com"),
  DEBUG_SQL: envBool(false),
  DATABASE_URL: optionalString(),
});

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected ConfigError");
}

describe("loadConfig", () => {
  it("parses a valid environment with defaults", () => {
    const c = loadConfig(schema, { IMAGE_BUCKET: "b", API_KEY_SECRET_ID: "s", DEBUG_SQL: "yes" });
    expect(c).toEqual({
      IMAGE_BUCKET: "b",
      API_KEY_SECRET_ID: "s",
      PORT: 3000,
      EBAY_API_BASE_URL: "https://api.ebay.com",
      DEBUG_SQL: true,
      DATABASE_URL: undefined,
    });
  });

  it("names every missing variable in one error", () => {
    expect(problems({})).toEqual(["IMAGE_BUCKET is required", "API_KEY_SECRET_ID is required"]);
  });

  it("treats empty and whitespace-only values as missing", () => {
    expect(problems({ IMAGE_BUCKET: "", API_KEY_SECRET_ID: "   " })).toEqual([
      "IMAGE_BUCKET is required (it is empty)",
      "API_KEY_SECRET_ID is required (it is empty)",
    ]);
  });

  it("reports malformed values with the value", () => {
    const p = problems({ IMAGE_BUCKET: "b", API_KEY_SECRET_ID: "s", PORT: "eighty", EBAY_API_BASE_URL: "not a url", DEBUG_SQL: "maybe" });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT must be an integer, got "eighty"/),
        expect.stringMatching(/^EBAY_API_BASE_URL must be a URL, got "not a url"/),
        expect.stringMatching(/^DEBUG_SQL must be true or false, got "maybe"/),
      ]),
    );
    expect(p).toHaveLength(3);
  });

  it("the error message lists each problem on its own line", () => {
    expect(() => loadConfig(schema, { IMAGE_BUCKET: "" })).toThrow(
      "Invalid configuration:\n  - IMAGE_BUCKET is required (it is empty)\n  - API_KEY_SECRET_ID is required",
    );
  });

  it("treats an empty optional value as unset", () => {
    expect(loadConfig(schema, { IMAGE_BUCKET: "b", API_KEY_SECRET_ID: "s", DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });
});
