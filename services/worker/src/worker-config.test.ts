import { ConfigError, loadConfig } from "@bluemoxon/core";
import { describe, expect, it } from "vitest";
import { engineConfigSchema, engineOptions, loadWorkerConfig } from "./worker-config.ts";

const base = { PIPELINE_ENV: "local", IMAGE_BUCKET: "b", DATABASE_URL: "postgres://x@127.0.0.1/db" };

describe("loadWorkerConfig", () => {
  it("applies defaults: the medium model, the cut-out at the photo's size", () => {
    const c = loadWorkerConfig(base);
    expect(c).toMatchObject({ BG_MODEL: "medium", BG_MEMORY_ARENA: false, MAX_INPUT_PIXELS: 36_000_000, LOG_LEVEL: "info" });
    expect(c.BG_TRIM_PADDING).toBeUndefined();
    expect(c.BG_MAX_OUTPUT_EDGE).toBeUndefined();
  });

  it("accepts the Aurora secret instead of DATABASE_URL, and upper-case log levels", () => {
    const c = loadWorkerConfig({
      PIPELINE_ENV: "prod",
      IMAGE_BUCKET: "b",
      DATABASE_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:db",
      DATABASE_HOST: "h",
      DATABASE_NAME: "n",
      LOG_LEVEL: "WARN",
      BG_MODEL: "small",
      BG_TRIM_PADDING: "0",
    });
    expect(c).toMatchObject({ LOG_LEVEL: "warn", BG_MODEL: "small", BG_TRIM_PADDING: 0, DATABASE_HOST: "h" });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it("names every bad variable, treating empty as missing", () => {
    const error = (() => {
      try {
        loadWorkerConfig({
          PIPELINE_ENV: "local",
          IMAGE_BUCKET: " ",
          DATABASE_URL: "x",
          BG_MODEL: "large",
          MAX_INPUT_PIXELS: "lots",
          BG_THREADS: "many",
        });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.problems.join("\n")).toMatch(/IMAGE_BUCKET is required/);
    expect(error?.problems.join("\n")).toMatch(/BG_MODEL/);
    expect(error?.problems.join("\n")).toMatch(/BG_THREADS must be "auto" or a whole number of threads ≥ 1, got "many"/);
    expect(error?.problems.join("\n")).toMatch(/MAX_INPUT_PIXELS must be an integer/);
  });

  it("requires a database source", () => {
    expect(() => loadWorkerConfig({ PIPELINE_ENV: "local", IMAGE_BUCKET: "b", DATABASE_HOST: "h" })).toThrow(/DATABASE_URL is required/);
  });
});

describe("engineOptions", () => {
  it("turns the BG_* variables into the engine's and the cut-out's options, the same for the worker and the CLI", () => {
    const env = {
      BG_MODEL: "small",
      BG_MODEL_DIR: "/opt/bg-model",
      BG_TRIM_PADDING: "8",
      BG_MAX_OUTPUT_EDGE: "2000",
      MAX_INPUT_PIXELS: "1000000",
    };
    const expected = {
      remover: { model: "small", memoryArena: false, modelDir: "/opt/bg-model" },
      output: { trim: { padding: 8 }, maxOutputEdge: 2000 },
      limits: { maxInputPixels: 1_000_000 },
    };
    expect(engineOptions(loadConfig(engineConfigSchema, env))).toEqual(expected);
    expect(engineOptions(loadWorkerConfig({ ...base, ...env }))).toEqual(expected);
  });

  it("keeps the photo's size and framing when nothing is set", () => {
    expect(engineOptions(loadConfig(engineConfigSchema, {}))).toMatchObject({
      output: { trim: false, maxOutputEdge: undefined },
      limits: { maxInputPixels: 36_000_000 },
    });
  });
});
