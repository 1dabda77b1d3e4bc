/**
 * The test's side door into a running stack's emulator: its fault API (no auth) and SDK
 * clients signed as the `admin` principal from `$DATA_DIR/aws/credentials.json`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { type AwsClients, createAwsClients } from "@bluemoxon/core";
import type { FaultReport, FaultSpec } from "../../../services/emulator/src/index.ts";

export type { FaultReport, FaultSpec };

export interface EmulatorAdmin {
  aws: AwsClients;
  addFault(spec: FaultSpec): Promise<string>;
  removeFault(id: string): Promise<void>;
  faults(): Promise<FaultReport>;
  clearFaults(): Promise<void>;
  listKeys(bucket: string): Promise<string[]>;
  queueUrl(name: string): Promise<string>;
  /** Visible + in flight + delayed. */
  queueDepth(url: string): Promise<{ visible: number; inFlight: number; delayed: number }>;
  /** Reads messages without consuming them (visibility 0 → they stay available). */
  peek(url: string, max?: number): Promise<string[]>;
  close(): void;
}

export function emulatorAdmin(emulator: string, dataDir: string): EmulatorAdmin {
  const credentials = JSON.parse(readFileSync(join(dataDir, "aws", "credentials.json"), "utf8")).admin;
  const aws = createAwsClients({ region: "us-east-1", endpoint: emulator, credentials, maxAttempts: 5 });
  const faultsUrl = `${emulator}/_emulator/faults`;
  const headers = { authorization: `Bearer ${JSON.parse(readFileSync(join(dataDir, "stack.json"), "utf8")).emulatorAdminToken}` };
  return {
    aws,
    async addFault(spec) {
      const res = await fetch(faultsUrl, { method: "POST", body: JSON.stringify(spec), headers });
      if (res.status !== 201) throw new Error(`adding a fault failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    },
    async removeFault(id) {
      const res = await fetch(`${faultsUrl}/${encodeURIComponent(id)}`, { method: "DELETE", headers });
      if (res.status !== 204) throw new Error(`removing fault ${id} failed: ${res.status} ${await res.text()}`);
    },
    async faults() {
      return (await (await fetch(faultsUrl, { headers })).json()) as FaultReport;
    },
    async clearFaults() {
      await fetch(faultsUrl, { method: "DELETE", headers });
    },
    async listKeys(bucket) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const o of out.Contents ?? []) keys.push(o.Key!);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async queueUrl(name) {
      return (await aws.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    },
    async queueDepth(url) {
      const out = await aws.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        }),
      );
      const a = out.Attributes ?? {};
      return {
        visible: Number(a.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    },
    async peek(url, max = 100) {
      const bodies = new Map<string, string>();
      for (let i = 0; i < Math.ceil(max / 10) + 2 && bodies.size < max; i++) {
        const out = await aws.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
        );
        if (!out.Messages?.length) break;
        for (const m of out.Messages) bodies.set(m.MessageId!, m.Body ?? "");
      }
      return [...bodies.values()];
    },
    close() {
      aws.destroy();
    },
  };
}
