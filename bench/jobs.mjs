#!/usr/bin/env node
// analyze --jobs (SPEC section 9, "all cores"): two copies of one large generated capture given
// with --each, analysed on one thread (--jobs 1) and on two (--jobs 2), interleaved; the speed-up
// and each command's CPU time. One input alone is the yardstick: two on two threads at best take
// as long. Then the CPU time of each thread for the same two jobs in this process: what the
// speed-up is bound to be on two idle cores, whatever else runs on the machine meanwhile (with
// autogroup scheduling, a busy shared machine gives a session one share however many threads it
// has). Inputs are generated into bench/out/ (never committed) by bench/gen-capture.mjs.
// Usage: node bench/jobs.mjs [--runs 5] [--quick]
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench/out");
const BIN = join(ROOT, "dist/wscale.js");
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1] || 5) || 5;
const QUICK = args.includes("--quick");
if (!existsSync(BIN)) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
mkdirSync(OUT, { recursive: true });

/** The generated capture and a copy of it under another name (two inputs, the same work). */
function twoCopies(kind, count) {
  const file = join(OUT, `${kind}-${count}.pcap`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} ...\n`);
    execFileSync(process.execPath, [join(ROOT, "bench/gen-capture.mjs"), kind, file, String(count)], {
      stdio: "inherit",
    });
  }
  const copy = join(OUT, `${kind}-${count}.copy.pcap`);
  if (!existsSync(copy)) copyFileSync(file, copy);
  return [file, copy];
}

/** One run: wall seconds (our clock), CPU seconds (user + system) and peak RSS in MB (/usr/bin/time). */
function once(shell) {
  const stats = join(OUT, ".jobs-time");
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", "-o", stats, "sh", "-c", `${shell} > /dev/null`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${shell}: exit ${r.status}: ${r.stderr}`);
  const [user, sys, rss] = readFileSync(stats, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
  return { seconds, cpu: user + sys, rssMB: rss / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure(shells) {
  once(shells[0]); // the page cache
  const samples = shells.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    shells.forEach((s, k) => {
      samples[k].push(once(s));
    });
  }
  return samples.map((runs) => ({
    seconds: median(runs.map((r) => r.seconds)),
    cpu: median(runs.map((r) => r.cpu)),
    rssMB: Math.max(...runs.map((r) => r.rssMB)),
  }));
}

const cases = [
  ["bulk", QUICK ? 1_000_000 : 4_000_000, "ndjson"],
  ["many", QUICK ? 15_000 : 60_000, "ndjson"],
];
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(" ");
console.log(
  `wscale --jobs bench, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${availableParallelism()} cores, load average ${load} at start, median of ${RUNS} interleaved runs`,
);
console.log("\n| inputs | command | wall s | CPU s | peak RSS MB |\n|---|---|---:|---:|---:|");
const speedups = [];
for (const [kind, count, format] of cases) {
  const [a, b] = twoCopies(kind, count);
  const shells = [
    `node ${BIN} analyze ${a} --format ${format}`,
    `node ${BIN} analyze ${a} ${b} --each --format ${format} --jobs 1`,
    `node ${BIN} analyze ${a} ${b} --each --format ${format} --jobs 2`,
  ];
  const [one, serial, parallel] = measure(shells);
  const name = `2 × ${kind} ${count}`;
  const rows = [
    ["one input alone", one],
    ["both, --jobs 1", serial],
    ["both, --jobs 2", parallel],
  ];
  for (const [what, m] of rows)
    console.log(`| ${name} | ${what} | ${m.seconds.toFixed(3)} | ${m.cpu.toFixed(2)} | ${m.rssMB.toFixed(0)} |`);
  speedups.push([name, serial.seconds / parallel.seconds, (2 * one.seconds) / parallel.seconds]);
}
console.log("\n| inputs | speed-up, --jobs 2 over --jobs 1 | over two runs of one input |\n|---|---:|---:|");
for (const [name, s, ideal] of speedups) console.log(`| ${name} | ${s.toFixed(2)}x | ${ideal.toFixed(2)}x |`);

// How the work divides between the threads, whatever else the machine runs: the same two jobs
// on the pool in this process, then each thread's CPU time from /proc (Linux).
const { JobPool, setWorkerEntry } = await import("../dist/analysis/jobs.js");
const { JOB_HANDLERS } = await import("../dist/cli/jobs.js");
const ticks = Number(execFileSync("getconf", ["CLK_TCK"]).toString()) || 100;
const threadCpu = () =>
  new Map(
    readdirSync("/proc/self/task").map((tid) => {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
      return [tid, (Number(fields[11]) + Number(fields[12])) / ticks];
    }),
  );
console.log(
  "\n| inputs (--jobs 2, in one process) | main thread CPU s | worker thread CPU s | busiest / total |\n|---|---:|---:|---:|",
);
for (const [kind, count, format] of cases) {
  const [a, b] = twoCopies(kind, count);
  setWorkerEntry(BIN);
  const pool = new JobPool(2, JOB_HANDLERS);
  const options = { idleTimeout: 300, timeline: false };
  const render = { format, failOn: "error", colorLevel: 0, width: 80 };
  const before = threadCpu();
  await Promise.all([a, b].map((path) => pool.run("report", { path, options, render })));
  const after = threadCpu();
  await pool.close();
  const used = [...after].map(([tid, cpu]) => [tid, cpu - (before.get(tid) ?? 0)]).filter(([, cpu]) => cpu > 0);
  const main = used.find(([tid]) => tid === String(process.pid))?.[1] ?? 0;
  const others = used
    .filter(([tid]) => tid !== String(process.pid))
    .map(([, cpu]) => cpu)
    .sort((x, y) => y - x);
  const total = main + others.reduce((x, y) => x + y, 0);
  console.log(
    `| 2 × ${kind} ${count} | ${main.toFixed(2)} | ${others[0]?.toFixed(2) ?? "?"} | ${(Math.max(main, others[0] ?? 0) / total).toFixed(2)} |`,
  );
}
