#!/usr/bin/env node
// Benchmarks (SPEC section 9): whole-command wall time (median of several runs), packets/s and
// peak RSS, on generated captures (never committed: bench/out/). Also tcptrace and tshark on the
// same files when installed. Usage: npm run bench [-- --runs 3 --quick]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench/out");
const BIN = join(ROOT, "dist/wscale.js");
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1] || 3) || 3;
const QUICK = args.includes("--quick");

const has = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
if (!existsSync(BIN)) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
mkdirSync(OUT, { recursive: true });

function input(kind, count) {
  const file = join(OUT, `${kind}-${count}.pcap`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} ...\n`);
    execFileSync(process.execPath, [join(ROOT, "bench/gen-capture.mjs"), kind, file, String(count)], {
      stdio: "inherit",
    });
  }
  return file;
}

/** Run a shell command RUNS times; median wall seconds and the largest peak RSS (MB). */
function measure(shell) {
  const samples = [];
  let rss = null;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const timed = has("/usr/bin/time") ? `/usr/bin/time -f '%M' -o ${OUT}/.rss sh -c ${JSON.stringify(shell)}` : shell;
    const r = spawnSync("sh", ["-c", `${timed} > /dev/null`], { stdio: ["ignore", "ignore", "pipe"] });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${shell}: exit ${r.status}: ${r.stderr}`);
    if (has("/usr/bin/time")) {
      const kb = Number(execFileSync("tail", ["-n1", `${OUT}/.rss`], { encoding: "utf8" }).trim());
      rss = Math.max(rss ?? 0, kb / 1024);
    }
  }
  samples.sort((a, b) => a - b);
  return { seconds: samples[Math.floor(samples.length / 2)], rssMB: rss };
}

const bulkN = QUICK ? 1_000_000 : 4_000_000;
const bulk = input("bulk", bulkN);
const bulkHalf = input("bulk", bulkN / 2);
const many = input("many", QUICK ? 15_000 : 60_000);
const manyPackets = (QUICK ? 15_000 : 60_000) * 12;
const bulkPackets = bulkN + 12; // the handshakes of the four connections come on top

const rows = [];
function row(name, packets, m, target) {
  rows.push({ name, packets, ...m, pps: packets / m.seconds, target });
}

row("read+decode only (bulk)", bulkPackets, measure(`node ${ROOT}/bench/read-decode.mjs ${bulk}`), ">= 15 M/s");
const analyzeBulk = measure(`node ${BIN} analyze ${bulk} --format json`);
row("analyze bulk --format json", bulkPackets, analyzeBulk, ">= 6 M/s, < 150 MB");
row(
  "analyze bulk, half as long",
  bulkPackets / 2,
  measure(`node ${BIN} analyze ${bulkHalf} --format json`),
  "same RSS",
);
row(
  "analyze many --format json",
  manyPackets,
  measure(`node ${BIN} analyze ${many} --format json`),
  ">= 1.5 M/s, < 300 MB",
);
const live = measure(`cat ${bulk} | node ${BIN} live - --format ndjson`);
row(
  "cat bulk \\| live - --format ndjson",
  bulkPackets,
  live,
  `<= 1.3x analyze (${(live.seconds / analyzeBulk.seconds).toFixed(2)}x)`,
);
if (has("tcptrace")) {
  row("tcptrace -n -l bulk", bulkPackets, measure(`tcptrace -n -l ${bulk}`), "reference");
  row("tcptrace -n -l many", manyPackets, measure(`tcptrace -n -l ${many}`), "reference");
}
if (has("tshark")) {
  const subset = input("bulk", 200_000);
  row(
    "tshark wscale fields (200k subset)",
    200_012,
    measure(`tshark -r ${subset} -T fields -e tcp.window_size_scalefactor`),
    "reference",
  );
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);
console.log(`wscale bench, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${RUNS} runs (median)`);
console.log("| what | packets | wall s | packets/s | peak RSS MB | target |");
console.log("|---|---:|---:|---:|---:|---|");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.packets)} | ${r.seconds.toFixed(3)} | ${fmt(r.pps)}/s | ${r.rssMB === null ? "?" : r.rssMB.toFixed(0)} | ${r.target} |`,
  );
}
