/**
 * `npm run bench:worker-threads`: what `BG_THREADS=auto` is worth on this machine. One photo at a
 * time (the engine with every core, with one thread as `npm start` gives it today, and the
 * package's `removeBackground()`), then `--slots` engines at once — each with every core (auto),
 * with cores ÷ slots, and with one thread — against the throughput ceiling `cores ÷ CPU-seconds
 * per photo` (the one-thread engine's CPU, the cheapest). Every configuration is its own set of
 * child processes, started before any is timed; rounds alternate the configurations so a busy
 * machine slows them alike. Medians.
 *
 *   npm run bench:worker-threads [-- --rounds 3 --slots 2 --batch 6]
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createBackgroundRemover } from "../services/worker/src/background/background-remover.ts";
import { benchPhotos, writeBenchPhotos } from "./bench-worker-photos.ts";
import { positiveInt } from "./dev/parse-cli.ts";
import { median } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    slots: { type: "string", default: "2" },
    batch: { type: "string", default: "6" },
    child: { type: "string" },
    photo: { type: "string" },
  },
  strict: true,
});

type Reply = { ms: number; cpuMs: number };

if (values.child) {
  // "engine:<threads>" or "package": one photo per message, { ms, cpuMs } back.
  const bytes = readFileSync(values.photo as string);
  let run: () => Promise<void>;
  if (values.child === "package") {
    const { removeBackground } = await import("@imgly/background-removal-node");
    run = async () => {
      await removeBackground(new Blob([bytes], { type: "image/jpeg" }), { model: "medium", output: { format: "image/png" } });
    };
  } else {
    const remover = await createBackgroundRemover({ threads: Number(values.child.split(":")[1]) });
    run = async () => {
      await remover.remove(bytes);
    };
  }
  await run(); // warm
  process.on("message", async (m: string) => {
    if (m === "exit") process.exit(0);
    const cpu = process.cpuUsage();
    const t = performance.now();
    await run();
    const used = process.cpuUsage(cpu);
    process.send?.({ ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 } satisfies Reply);
  });
  process.send?.("ready");
} else {
  const rounds = positiveInt("rounds", values.rounds);
  const slots = positiveInt("slots", values.slots);
  const batch = positiveInt("batch", values.batch);
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), "bench-threads-"));
  const photo = benchPhotos[0];
  await writeBenchPhotos(dir, [photo]);
  const children: ChildProcess[] = [];
  const spawn = async (kind: string) => {
    const proc = fork(fileURLToPath(import.meta.url), ["--child", kind, "--photo", join(dir, photo.name)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { MALLOC_MMAP_THRESHOLD_: "131072", ...process.env, NODE_NO_WARNINGS: "1" },
    });
    children.push(proc);
    await new Promise<void>((resolve, reject) => {
      proc.once("message", () => resolve());
      proc.once("exit", (code) => reject(new Error(`${kind} exited with ${code}`)));
    });
    return proc;
  };
  const ask = (proc: ChildProcess) =>
    new Promise<Reply>((resolve) => {
      proc.once("message", (m: Reply) => resolve(m));
      proc.send("run");
    });
  try {
    const single = {
      "engine, every core (auto)": `engine:${cores}`,
      "engine, 1 thread (npm start today)": "engine:1",
      "package/medium": "package",
    };
    const perSlot = Math.max(1, Math.floor(cores / slots));
    // By thread count: on 2 cores with 2 slots, cores ÷ slots is the one-thread configuration.
    const batches = new Map<number, string>([
      [cores, `${slots} engines × ${cores} threads (auto)`],
      [perSlot, `${slots} engines × ${perSlot} thread(s) (cores ÷ slots)`],
      [1, `${slots} engines × 1 thread${perSlot === 1 ? " (cores ÷ slots)" : ""}`],
    ]);
    const singleProcs = new Map<string, ChildProcess>();
    for (const [name, kind] of Object.entries(single)) singleProcs.set(name, await spawn(kind));
    // The one-photo engines are also each batch's first slot: fewer processes holding a model.
    const batchProcs = new Map<string, ChildProcess[]>();
    for (const [threads, name] of batches) {
      const first = singleProcs.get(
        threads === cores ? "engine, every core (auto)" : threads === 1 ? "engine, 1 thread (npm start today)" : "",
      );
      const procs: ChildProcess[] = first ? [first] : [];
      while (procs.length < slots) procs.push(await spawn(`engine:${threads}`));
      batchProcs.set(name, procs);
    }
    const singleMs = new Map<string, number[]>();
    const singleCpu = new Map<string, number[]>();
    const batchMs = new Map<string, number[]>();
    const batchCpu = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      console.error(`round ${r + 1}/${rounds}`);
      for (const [name, proc] of singleProcs) {
        const { ms, cpuMs } = await ask(proc);
        singleMs.set(name, [...(singleMs.get(name) ?? []), ms]);
        singleCpu.set(name, [...(singleCpu.get(name) ?? []), cpuMs]);
      }
      for (const [name, procs] of batchProcs) {
        // `batch` photos over the slots, each slot taking the next as soon as it is free.
        let next = 0;
        const t = performance.now();
        const cpu: number[] = [];
        await Promise.all(
          procs.map(async (proc) => {
            while (next < batch) {
              next++;
              cpu.push((await ask(proc)).cpuMs);
            }
          }),
        );
        batchMs.set(name, [...(batchMs.get(name) ?? []), performance.now() - t]);
        batchCpu.set(name, [...(batchCpu.get(name) ?? []), median(cpu)]);
      }
    }
    const pkg = median(singleMs.get("package/medium") ?? []);
    const lines = [
      `${photo.name}, ${rounds} round(s), ${cores} cores, node ${process.version}; medians.`,
      "",
      "| one photo at a time | wall ms | vs package | CPU ms |",
      "|---|---:|---:|---:|",
      ...[...singleMs].map(
        ([name, ms]) =>
          `| ${name} | ${median(ms).toFixed(0)} | ${(median(ms) / pkg).toFixed(2)}× | ${median(singleCpu.get(name) ?? []).toFixed(0)} |`,
      ),
    ];
    const cheapest = Math.min(...[...singleCpu.values()].map((c) => median(c)), ...[...batchCpu.values()].map((c) => median(c)));
    const ceiling = (cores / (cheapest / 1000)) * 60;
    lines.push(
      "",
      `| ${batch} photos on ${slots} slots | wall ms | photos/min | CPU ms / photo | ceiling ${ceiling.toFixed(1)} photos/min (cores ÷ cheapest CPU-s per photo) |`,
      "|---|---:|---:|---:|---:|",
      ...[...batchMs].map(([name, ms]) => {
        const rate = (batch / (median(ms) / 1000)) * 60;
        return `| ${name} | ${median(ms).toFixed(0)} | ${rate.toFixed(1)} | ${median(batchCpu.get(name) ?? []).toFixed(0)} | ${(rate / ceiling).toFixed(2)}× |`;
      }),
      "",
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" / ")} (1 / 5 / 15 min)`,
    );
    console.log(lines.join("\n"));
  } finally {
    for (const c of children) c.send("exit");
    rmSync(dir, { recursive: true, force: true });
  }
}
