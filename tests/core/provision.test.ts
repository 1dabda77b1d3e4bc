import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { type AwsClients, createAwsClients, defaultManifestPath, loadManifest, provisionPipeline } from "@bluemoxon/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "../support/moto.ts";

const manifest = loadManifest(defaultManifestPath);
let moto: MotoServer;
let clients: AwsClients;

beforeAll(async () => {
  moto = await startMoto();
  if (!moto.ok) console.log(`[provision] skipped: ${moto.reason}`);
  else
    clients = createAwsClients({
      region: "us-east-1",
      endpoint: moto.endpoint,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
});
afterAll(async () => {
  clients?.destroy();
  if (moto?.ok) await moto.stop();
});

describe("provisionPipeline (against moto)", () => {
  it("creates every queue with its DLQ and redrive, every bucket and secret, idempotently", async ({ skip }) => {
    if (!moto.ok) skip();
    const secretValues = { "api-key": JSON.stringify({ keys: ["first-key-123"] }) };
    const out = await provisionPipeline({ clients, manifest, environment: "local", secretValues });
    const q = out.queues["image-processing"];
    expect(q.name).toBe("bluemoxon-local-image-processing");
    const attrs = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ["All"] }));
    expect(JSON.parse(attrs.Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: q.dlqArn, maxReceiveCount: 5 });
    expect(attrs.Attributes!.VisibilityTimeout).toBe("720");
    expect(out.buckets).toEqual({ images: "bluemoxon-local-images" });

    // Second run: same resources, secret value kept unless overwriting is asked for.
    const again = await provisionPipeline({ clients, manifest, environment: "local", secretValues: { "api-key": '{"keys":["other"]}' } });
    expect(again).toEqual(out);
    const secret = await clients.secrets.send(new GetSecretValueCommand({ SecretId: out.secrets["api-key"].name }));
    expect(secret.SecretString).toBe(secretValues["api-key"]);
  });
});
