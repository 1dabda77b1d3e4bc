/**
 * The trigger under IAM enforcement on the embedded emulator: like a Lambda event source
 * mapping it polls and deletes with the function's own role, so the worker's declared
 * permissions in `pipeline.json` must be enough — and nothing beyond them gets used.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createLogger, loadManifest } from "@bluemoxon/core";
import { startTriggers, TriggerStartError } from "@bluemoxon/event-source-mapping";
import { afterAll, describe, expect, it } from "vitest";
import { createPrincipals } from "../../services/emulator/src/iam/index.ts";

const emulatorEntry = fileURLToPath(new URL("../../services/emulator/src/index.ts", import.meta.url));
const handler = `${fileURLToPath(new URL("./handlers/ok.ts", import.meta.url))}#handler`;
const manifest = loadManifest();
const principals = createPrincipals(manifest, { environment: "local", seed: "trigger-iam-test" });

type StartEmulator = (options: { port: number; manifest: unknown; iam: { enforce: boolean; principals: unknown[] } }) => Promise<{
  url: string;
  close(): Promise<void>;
  iam: { calls(): { principal: string; action: string; resource: string; allowed: boolean }[] };
}>;

async function loadStartEmulator(): Promise<StartEmulator | undefined> {
  if (!existsSync(emulatorEntry)) return undefined;
  const mod = (await import(pathToFileURL(emulatorEntry).href)) as { startEmulator?: StartEmulator };
  return mod.startEmulator;
}

const startEmulator = await loadStartEmulator();
if (!startEmulator) console.log("trigger IAM tests skipped: services/emulator/src/index.ts does not export startEmulator yet");
const out = mkdtempSync(join(tmpdir(), "trigger-iam-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(!startEmulator)("SQS trigger with IAM enforcement", () => {
  it("polls and deletes with the worker's role, using only its declared SQS permissions", async () => {
    const emulator = await startEmulator!({
      port: 0,
      manifest,
      iam: { enforce: true, principals: [principals.admin, ...Object.values(principals.services)] },
    });
    const api = new SQSClient({ region: "us-east-1", endpoint: emulator.url, credentials: principals.services.api });
    const triggers = await startTriggers({
      endpoint: emulator.url,
      manifest,
      credentials: ({ service }) => principals.services[service],
      handlers: { "image-worker": handler },
      functionEnv: { TRIGGER_TEST_OUT: out },
      childStdio: "ignore",
      log: createLogger({ write: () => undefined }),
    });
    try {
      const queueUrl = triggers.stats()["image-worker"].queueUrl;
      await api.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "from the api" }));
      const file = join(out, "bluemoxon-local-image-worker.jsonl");
      const deadline = Date.now() + 20_000;
      while (triggers.stats()["image-worker"].recordsDeleted < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(triggers.stats()["image-worker"]).toMatchObject({ succeeded: 1, recordsDeleted: 1 });
      const [line] = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      // The handler runs with the function's role, as Lambda hands it the role's credentials.
      expect(line.env.AWS_ACCESS_KEY_ID).toBe(principals.services.worker.accessKeyId);

      const workerCalls = emulator.iam.calls().filter((c) => c.principal === principals.services.worker.name);
      expect(workerCalls.filter((c) => !c.allowed)).toEqual([]);
      expect([...new Set(workerCalls.map((c) => c.action))].sort()).toEqual([
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
      ]);
    } finally {
      await triggers.stop();
      api.destroy();
      await emulator.close();
    }
  });

  it("refuses to start with a wrong secret, naming the signature failure", async () => {
    const emulator = await startEmulator!({
      port: 0,
      manifest,
      iam: { enforce: true, principals: [principals.admin, ...Object.values(principals.services)] },
    });
    try {
      const wrong = { accessKeyId: principals.services.worker.accessKeyId, secretAccessKey: "x".repeat(40) };
      const started = startTriggers({
        endpoint: emulator.url,
        manifest,
        credentials: wrong,
        handlers: { "image-worker": handler },
        childStdio: "ignore",
        log: createLogger({ write: () => undefined }),
      });
      await expect(started).rejects.toBeInstanceOf(TriggerStartError);
      await expect(started).rejects.toThrow(/signature/i);
    } finally {
      await emulator.close();
    }
  });
});
