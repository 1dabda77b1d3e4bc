export * from "./background/background-remover.ts";
export * from "./background/decode-image.ts";
export * from "./background/model-files.ts";
export * from "./create-worker-runtime.ts";
export * from "./errors.ts";
export * from "./process-job.ts";
export * from "./worker-config.ts";
