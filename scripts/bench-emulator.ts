/**
 * `npm run bench:emulator` — the embedded emulator against moto, side by side, same client code:
 *   1. server start (spawned process) to the first successful ListQueues, median of 5
 *      (plus the in-process `startEmulator` as an extra row);
 *   2. SQS messages/s through send(batch of 10) → receive(10) → delete-batch, queue kept shallow;
 *   3. the same with 2000 messages queued first;
 *   4. S3 put+get pairs of 1 MiB objects per second.
 * Fixed counts, bounded loops, medians of several runs; prints a markdown table. Loopback only.
 *
 * Every measured loop stops at its count or after BENCH_CAP_SECONDS, whichever comes first, and the
 * rate is computed over what it completed — a slow peer cannot stall the run.
 *
 * Env: BENCH_RUNS (default 3), BENCH_SQS_MESSAGES (default 500), BENCH_S3_OBJECTS (default 20),
 * BENCH_CAP_SECONDS (default 10).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { freePort } from "../tests/support/free-port.ts";
import { median } from "./lib/stats.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const sqsMessages = Number(process.env.BENCH_SQS_MESSAGES ?? 500);
const s3Objects = Number(process.env.BENCH_S3_OBJECTS ?? 20);
const capMs = Number(process.env.BENCH_CAP_SECONDS ?? 10) * 1000;
const startRuns = 5;
const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

interface Server {
  endpoint: string;
  stop(): Promise<void>;
}

interface Backend {
  name: "emulator" | "moto";
  command(port: number): [string, string[]];
}

const backends: Backend[] = [
  // What `npm run emulator` runs: the bundled launcher (no TypeScript compile at start).
  { name: "emulator", command: (port) => [process.execPath, ["services/emulator/bin/emulator.mjs", "--port", String(port)]] },
  { name: "moto", command: (port) => ["python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]] },
];

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
  });
}

/** Polls ListQueues until it succeeds; resolves with the time it took from `since`. */
async function untilFirstCall(endpoint: string, since: number, child?: ChildProcess, timeoutMs = 30_000): Promise<number> {
  const sqs = new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });
  try {
    while (performance.now() - since < timeoutMs) {
      if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before answering`);
      try {
        await sqs.send(new ListQueuesCommand({}));
        return performance.now() - since;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    throw new Error(`no successful ListQueues on ${endpoint} within ${timeoutMs} ms`);
  } finally {
    sqs.destroy();
  }
}

async function spawnServer(backend: Backend): Promise<{ server: Server; startMs: number }> {
  const port = await freePort();
  const [cmd, args] = backend.command(port);
  const since = performance.now();
  const child = spawn(cmd, args, { cwd: root, stdio: "ignore", env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: "true" } });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    const startMs = await untilFirstCall(endpoint, since, child);
    return { server: { endpoint, stop: () => stopChild(child) }, startMs };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

async function inProcessStartMs(): Promise<number> {
  const entry = pathToFileURL(`${root}services/emulator/src/index.ts`).href;
  const { startEmulator } = (await import(entry)) as {
    startEmulator(o: { port: number }): Promise<{ url: string; close(): Promise<void> }>;
  };
  const since = performance.now();
  const emulator = await startEmulator({ port: 0 });
  try {
    return await untilFirstCall(emulator.url.replace(/\/$/, ""), since);
  } finally {
    await emulator.close();
  }
}

/** send(10) → receive(≤10, repeated until the batch is back) → delete-batch, `total` messages; returns messages/s. */
async function sqsPipeline(sqs: SQSClient, QueueUrl: string, total: number): Promise<number> {
  const started = performance.now();
  let processed = 0;
  for (let round = 0; processed < total && round < total && performance.now() - started < capMs; round++) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `{"v":1,"jobId":"${round}-${i}"}` })),
      }),
    );
    let got: Message[] = [];
    // A standard queue may hand back fewer than asked; a few receives collect the batch (bounded).
    for (let attempt = 0; attempt < 5 && got.length < 10; attempt++) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 - got.length, WaitTimeSeconds: 1 }));
      got = got.concat(out.Messages ?? []);
    }
    if (got.length === 0) throw new Error("received nothing after a send");
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl, Entries: got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
    );
    processed += got.length;
  }
  return processed / ((performance.now() - started) / 1000);
}

async function prefill(sqs: SQSClient, QueueUrl: string, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `p${i}`, MessageBody: `backlog-${sent + i}` })),
      }),
    );
  }
}

async function s3PutGet(s3: S3Client, Bucket: string, count: number): Promise<number> {
  const body = randomBytes(1024 * 1024);
  const started = performance.now();
  let done = 0;
  for (let i = 0; i < count && performance.now() - started < capMs; i++, done++) {
    const Key = `bench/${i}.bin`;
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    const bytes = await got.Body!.transformToByteArray();
    if (bytes.length !== body.length) throw new Error(`GetObject returned ${bytes.length} bytes, expected ${body.length}`);
  }
  return done / ((performance.now() - started) / 1000);
}

interface Results {
  startMs: number;
  sqsShallow: number;
  sqsDeep: number;
  s3PairsPerSecond: number;
}

async function measure(backend: Backend): Promise<Results> {
  const starts: number[] = [];
  for (let i = 0; i < startRuns; i++) {
    const { server, startMs } = await spawnServer(backend);
    starts.push(startMs);
    await server.stop();
  }
  const { server } = await spawnServer(backend);
  const sqs = new SQSClient({ endpoint: server.endpoint, region, credentials });
  const s3 = new S3Client({ endpoint: server.endpoint, region, credentials, forcePathStyle: true });
  try {
    const queue = async (name: string) =>
      (await sqs.send(new CreateQueueCommand({ QueueName: `bench-${name}-${Date.now()}`, Attributes: { VisibilityTimeout: "30" } })))
        .QueueUrl!;
    const step = (what: string) => console.error(`  ${backend.name}: ${what}`);
    step(`start median ${fmt(median(starts))} ms`);
    const shallowQueue = await queue("shallow");
    await sqsPipeline(sqs, shallowQueue, 100); // warm-up, not measured
    const shallow: number[] = [];
    for (let i = 0; i < runs; i++) shallow.push(await sqsPipeline(sqs, shallowQueue, sqsMessages));

    step(`shallow ${shallow.map((r) => fmt(r)).join(", ")} msg/s`);
    const deepQueue = await queue("deep");
    await prefill(sqs, deepQueue, 2000);
    const deep: number[] = [];
    for (let i = 0; i < runs; i++) deep.push(await sqsPipeline(sqs, deepQueue, sqsMessages));

    step(`deep ${deep.map((r) => fmt(r)).join(", ")} msg/s`);
    const Bucket = `bench-${Date.now()}`;
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3PutGet(s3, Bucket, 5); // warm-up
    const pairs: number[] = [];
    for (let i = 0; i < runs; i++) pairs.push(await s3PutGet(s3, Bucket, s3Objects));

    step(`s3 ${pairs.map((r) => fmt(r, 1)).join(", ")} pairs/s`);
    return { startMs: median(starts), sqsShallow: median(shallow), sqsDeep: median(deep), s3PairsPerSecond: median(pairs) };
  } finally {
    sqs.destroy();
    s3.destroy();
    await server.stop();
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const motoProbe = spawnSync("python3", ["-c", "import moto; print(moto.__version__)"], { encoding: "utf8" });
  const motoVersion = motoProbe.status === 0 ? motoProbe.stdout.trim() : undefined;
  console.error(
    `node ${process.version}, ${availableParallelism()} cores, moto ${motoVersion ?? "not installed"}; ${runs} runs per metric`,
  );

  const inProcess: number[] = [];
  for (let i = 0; i < startRuns; i++) inProcess.push(await inProcessStartMs());
  // The TypeScript sources through tsx, for comparison with the bundled launcher.
  const viaTsx: number[] = [];
  const tsxBackend: Backend = {
    name: "emulator",
    command: (port) => [process.execPath, ["--import", "tsx", "services/emulator/src/cli.ts", "--port", String(port)]],
  };
  for (let i = 0; i < startRuns; i++) {
    const { server, startMs } = await spawnServer(tsxBackend);
    viaTsx.push(startMs);
    await server.stop();
  }

  const results: Partial<Record<Backend["name"], Results>> = {};
  for (const backend of backends) {
    if (backend.name === "moto" && !motoVersion) continue;
    console.error(`measuring ${backend.name}…`);
    results[backend.name] = await measure(backend);
  }
  const emu = results.emulator!;
  const moto = results.moto;
  const ratio = (better: number | undefined, worse: number | undefined) => (better && worse ? `${fmt(better / worse, 1)}×` : "n/a");
  const rows = [
    "| metric | emulator | moto | ratio (emulator advantage) |",
    "|---|---|---|---|",
    `| start → first ListQueues, spawned bin/emulator.mjs (median of ${startRuns}) | ${fmt(emu.startMs)} ms | ${moto ? `${fmt(moto.startMs)} ms` : "n/a"} | ${ratio(moto?.startMs, emu.startMs)} |`,
    `| start → first ListQueues, spawned through tsx (median of ${startRuns}) | ${fmt(median(viaTsx))} ms | ${moto ? `${fmt(moto.startMs)} ms` : "n/a"} | ${ratio(moto?.startMs, median(viaTsx))} |`,
    `| start → first ListQueues, in-process startEmulator (median of ${startRuns}) | ${fmt(median(inProcess), 1)} ms | — | — |`,
    `| SQS send(10) → receive(10) → delete-batch, shallow queue (msg/s) | ${fmt(emu.sqsShallow)} | ${moto ? fmt(moto.sqsShallow) : "n/a"} | ${ratio(emu.sqsShallow, moto?.sqsShallow)} |`,
    `| SQS same, 2000 messages queued first (msg/s) | ${fmt(emu.sqsDeep)} | ${moto ? fmt(moto.sqsDeep) : "n/a"} | ${ratio(emu.sqsDeep, moto?.sqsDeep)} |`,
    `| S3 put+get of 1 MiB objects (pairs/s) | ${fmt(emu.s3PairsPerSecond, 1)} | ${moto ? fmt(moto.s3PairsPerSecond, 1) : "n/a"} | ${ratio(emu.s3PairsPerSecond, moto?.s3PairsPerSecond)} |`,
  ];
  console.log(rows.join("\n"));
}

await main();
