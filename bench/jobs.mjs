#!/usr/bin/env node
// analyze --jobs (SPEC section 9, "all cores"): two copies of one large generated capture given
// with --each, analysed on one thread (--jobs 1) and on two (--jobs 2), interleaved; the speed-up
// and each command's CPU time. One input alone is the yardstick: two on two threads at best take
// as long. Inputs are generated into bench/out/ (never committed) by bench/gen-capture.mjs.
// Usage: node bench/jobs.mjs [--runs 5] [--quick]
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
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
