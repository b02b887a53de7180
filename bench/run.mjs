#!/usr/bin/env node
// Benchmarks (SPEC section 9): whole commands as a user runs them, on captures made by the Linux
// kernel (../shared/perf/make-captures.sh: a 4-stream iperf3 bulk transfer with SACK and
// retransmissions, and tens of thousands of short connections) and on generated ones
// (bench/gen-capture.mjs: 1,000,000 connections), never committed (bench/out/). For each command:
// median wall time and CPU time (user + system) of interleaved runs, packets per second, peak RSS,
// and the ratio to tcptrace (and tshark) on the same file in the same run. Commands that are
// compared run interleaved (a, b, a, b, ...): a slow spell of this shared machine weighs on both
// sides of a ratio alike.
// Usage: npm run bench [-- --runs 5 --quick --only many,bulk,million,live,synthetic]
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench/out");
const KERNEL = join(OUT, "kernel");
const BIN = join(ROOT, "dist/wscale.js");
const MAKE_CAPTURES = join(ROOT, "../shared/perf/make-captures.sh");
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const RUNS = Number(opt("--runs", 5)) || 5;
const QUICK = args.includes("--quick");
const ONLY = new Set(String(opt("--only", "many,bulk,million,live,synthetic")).split(","));

const has = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
if (!has("/usr/bin/time"))
  throw new Error("bench needs /usr/bin/time (apt-get install time) for peak RSS and CPU time");
if (!existsSync(BIN)) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
mkdirSync(OUT, { recursive: true });
const TCPTRACE = has("tcptrace");
const TSHARK = has("tshark");

/** A generated capture, made once. */
function generated(kind, count) {
  const file = join(OUT, `${kind}-${count}.pcap`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} ...\n`);
    execFileSync(process.execPath, [join(ROOT, "bench/gen-capture.mjs"), kind, file, String(count)], {
      stdio: "inherit",
    });
  }
  return file;
}

/** The kernel-made captures: made once (as root: network namespaces), else null with the reason. */
function kernelCapture(name) {
  const file = join(KERNEL, name);
  if (!existsSync(file) && process.getuid?.() === 0 && existsSync(MAKE_CAPTURES)) {
    process.stderr.write(`making ${KERNEL} with ${MAKE_CAPTURES} (about a minute) ...\n`);
    spawnSync("bash", [MAKE_CAPTURES, KERNEL], { stdio: "inherit" });
  }
  if (existsSync(file)) return file;
  process.stderr.write(`skipped: ${file} is missing (run ${MAKE_CAPTURES} ${KERNEL} as root)\n`);
  return null;
}

/** The first `packets` records of a classic pcap, as a new file (the same traffic, shorter). */
function prefix(file, packets) {
  const out = file.replace(/\.pcap$/, `-first${packets}.pcap`);
  if (!existsSync(out)) execFileSync("tcpdump", ["-r", file, "-c", String(packets), "-w", out], { stdio: "ignore" });
  return out;
}

/** Records in a classic pcap (µs or ns, either byte order): walks the record headers. */
function countPackets(file) {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(24);
    readSync(fd, head, 0, 24, 0);
    const le = head.readUInt32LE(0) === 0xa1b2c3d4 || head.readUInt32LE(0) === 0xa1b23c4d;
    const size = statSync(file).size;
    const rec = Buffer.alloc(16);
    let n = 0;
    for (let pos = 24; pos + 16 <= size; n++) {
      readSync(fd, rec, 0, 16, pos);
      pos += 16 + (le ? rec.readUInt32LE(8) : rec.readUInt32BE(8));
    }
    return n;
  } finally {
    closeSync(fd);
  }
}

/** One run of a shell command: wall and CPU seconds, peak RSS in MB. */
function once(shell) {
  const stats = join(OUT, ".time");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    "sh",
    ["-c", `/usr/bin/time -f '%U %S %M' -o ${stats} sh -c ${JSON.stringify(shell)} > /dev/null`],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  // wscale exits 1 when it has findings: that is a result, not a failure.
  if (r.status !== 0 && r.status !== 1) throw new Error(`${shell}: exit ${r.status}: ${r.stderr}`);
  const [user, sys, kb] = readFileSync(stats, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
  return { wall, cpu: user + sys, rssMB: kb / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Run the named commands (null: not available) interleaved `runs` times: per command the median
 * wall and CPU time and the largest RSS, by the same names.
 */
function measure(commands, runs = RUNS) {
  const named = Object.entries(commands).filter(([, shell]) => shell !== null);
  const samples = named.map(() => []);
  once(named[0][1]); // warm the page cache before anything counts
  for (let i = 0; i < runs; i++) {
    for (const [k, [, shell]] of named.entries()) samples[k].push(once(shell));
  }
  return Object.fromEntries(
    named.map(([name], k) => [
      name,
      {
        wall: median(samples[k].map((x) => x.wall)),
        cpu: median(samples[k].map((x) => x.cpu)),
        rssMB: Math.max(...samples[k].map((x) => x.rssMB)),
      },
    ]),
  );
}

const rows = [];
function row(name, packets, m) {
  const r = { name, packets, ...m, pps: packets / m.wall };
  rows.push(r);
  return r;
}
const wscale = (file, rest) => `node ${BIN} analyze ${file} ${rest}`;
const targets = [];
const ratio = (other, ours) => other.wall / ours.wall;
const x = (n) => `${n.toFixed(2)}x`;
/** A speed target: ours against tcptrace's wall time (CPU-time ratio beside it), met at `want`. */
function faster(name, ours, theirs, want) {
  if (!theirs) return targets.push([name, "n/a (no tcptrace)", `>= ${want}x`, false]);
  const r = ratio(theirs, ours);
  targets.push([name, `${x(r)} (CPU ${x(theirs.cpu / ours.cpu)})`, `>= ${want}x`, r >= want]);
}
function below(name, r, mb) {
  targets.push([name, `${r.rssMB.toFixed(0)} MB`, `< ${mb} MB`, r.rssMB < mb]);
}

// ---- many short connections, made by the kernel --------------------------------------------
if (ONLY.has("many")) {
  const many = kernelCapture("manyflows.pcap");
  if (many) {
    const n = countPackets(many);
    const { json, ndjson, csv, table, tcptrace } = measure({
      json: wscale(many, "--format json"),
      ndjson: wscale(many, "--format ndjson"),
      csv: wscale(many, "--format csv"),
      table: wscale(many, "--format table"),
      tcptrace: TCPTRACE ? `tcptrace -n -l ${many}` : null,
    });
    const rJson = row("many-flows (kernel): wscale --format json", n, json);
    const rNd = row("many-flows (kernel): wscale --format ndjson", n, ndjson);
    const rCsv = row("many-flows (kernel): wscale --format csv", n, csv);
    row("many-flows (kernel): wscale (table)", n, table);
    const rT = tcptrace ? row("many-flows (kernel): tcptrace -n -l", n, tcptrace) : null;
    faster("many-flows: json vs tcptrace", rJson, rT, 1.5);
    below("many-flows: json peak RSS", rJson, 200);
    faster("many-flows: ndjson vs tcptrace", rNd, rT, 2);
    below("many-flows: ndjson peak RSS", rNd, 120);
    faster("many-flows: csv vs tcptrace", rCsv, rT, 2);
    below("many-flows: csv peak RSS", rCsv, 120);
    if (TSHARK) {
      // tshark dissects everything whatever is asked: fewer runs.
      const { t } = measure({ t: `tshark -r ${many} -T fields -e tcp.window_size_scalefactor` }, Math.min(RUNS, 3));
      row("many-flows (kernel): tshark -T fields", n, t);
    }
  }
}

// ---- bulk transfer, made by the kernel -----------------------------------------------------
let bulk = null;
if (ONLY.has("bulk") || ONLY.has("live")) bulk = kernelCapture("bulk.pcap");
if (bulk && ONLY.has("bulk")) {
  const n = countPackets(bulk);
  const half = prefix(bulk, Math.floor(n / 2));
  const { json, tcptrace, halfJson, decode } = measure({
    json: wscale(bulk, "--format json"),
    tcptrace: TCPTRACE ? `tcptrace -n -l ${bulk}` : null,
    halfJson: wscale(half, "--format json"),
    decode: `node ${ROOT}/bench/read-decode.mjs ${bulk}`,
  });
  const rB = row("bulk (kernel): wscale --format json", n, json);
  const rT = tcptrace ? row("bulk (kernel): tcptrace -n -l", n, tcptrace) : null;
  const rH = row("bulk (kernel), first half: wscale --format json", Math.floor(n / 2), halfJson);
  row("bulk (kernel): read and decode only", n, decode);
  faster("bulk: json vs tcptrace", rB, rT, 1.5);
  below("bulk: peak RSS", rB, 150);
  targets.push([
    "bulk: RSS flat in capture length",
    `${rH.rssMB.toFixed(0)} MB (half) -> ${rB.rssMB.toFixed(0)} MB`,
    "within 10%",
    rB.rssMB <= rH.rssMB * 1.1,
  ]);
  if (TSHARK) {
    const sub = prefix(bulk, 200_000);
    const { t } = measure({ t: `tshark -r ${sub} -T fields -e tcp.window_size_scalefactor` }, Math.min(RUNS, 3));
    row("bulk (kernel), first 200 k: tshark -T fields", 200_000, t);
  }
}

// ---- live from a pipe against the file -----------------------------------------------------
if (bulk && ONLY.has("live")) {
  const n = countPackets(bulk);
  const many = kernelCapture("manyflows.pcap");
  const { lb, fb, lm, fm } = measure({
    lb: `cat ${bulk} | node ${BIN} live - --format ndjson`,
    fb: wscale(bulk, "--format ndjson"),
    lm: many ? `cat ${many} | node ${BIN} live - --format ndjson` : null,
    fm: many ? wscale(many, "--format ndjson") : null,
  });
  row("bulk (kernel): cat | wscale live - --format ndjson", n, lb);
  row("bulk (kernel): wscale analyze --format ndjson", n, fb);
  targets.push(["live vs file, bulk", x(lb.wall / fb.wall), "<= 1.3x", lb.wall / fb.wall <= 1.3]);
  if (many) {
    const m = countPackets(many);
    const rl = row("many-flows (kernel): cat | wscale live - --format ndjson", m, lm);
    row("many-flows (kernel): wscale analyze --format ndjson", m, fm);
    targets.push(["live vs file, many-flows", x(lm.wall / fm.wall), "<= 1.3x", lm.wall / fm.wall <= 1.3]);
    below(`live, many-flows: peak RSS (file: ${fm.rssMB.toFixed(0)} MB)`, rl, 120);
  }
}

// ---- 1,000,000 generated connections -------------------------------------------------------
if (ONLY.has("million")) {
  const big = QUICK ? 100_000 : 1_000_000;
  const million = generated("many", big);
  const halfMillion = generated("many", big / 2);
  const { nd, csv, ndHalf, table } = measure(
    {
      nd: wscale(million, "--format ndjson"),
      csv: wscale(million, "--format csv"),
      ndHalf: wscale(halfMillion, "--format ndjson"),
      table: wscale(million, "--format table"),
    },
    Math.min(RUNS, 3),
  );
  const label = `${big / 1000} k connections (generated)`;
  const rNd = row(`${label}: wscale --format ndjson`, big * 12, nd);
  const rCsv = row(`${label}: wscale --format csv`, big * 12, csv);
  const rH = row(`${big / 2000} k connections (generated): wscale --format ndjson`, big * 6, ndHalf);
  const rTab = row(`${label}: wscale (table: the worst 50, exact counts)`, big * 12, table);
  below("1 M connections: ndjson peak RSS", rNd, 150);
  below("1 M connections: csv peak RSS", rCsv, 150);
  below("1 M connections: table peak RSS", rTab, 150);
  targets.push([
    "1 M connections: linear time",
    `${x(rNd.wall / rH.wall)} the time for 2x the connections`,
    "1.8x - 2.2x",
    rNd.wall / rH.wall >= 1.8 && rNd.wall / rH.wall <= 2.2,
  ]);
}

// ---- the earlier synthetic inputs, for comparison with older figures -----------------------
if (ONLY.has("synthetic")) {
  const bulkN = QUICK ? 1_000_000 : 4_000_000;
  const sBulk = generated("bulk", bulkN);
  const sMany = generated("many", 60_000);
  const { b, t, m, tm } = measure({
    b: wscale(sBulk, "--format json"),
    t: TCPTRACE ? `tcptrace -n -l ${sBulk}` : null,
    m: wscale(sMany, "--format json"),
    tm: TCPTRACE ? `tcptrace -n -l ${sMany}` : null,
  });
  row("bulk (generated): wscale --format json", bulkN + 12, b);
  if (t) row("bulk (generated): tcptrace -n -l", bulkN + 12, t);
  row("60 k connections (generated): wscale --format json", 720_000, m);
  if (tm) row("60 k connections (generated): tcptrace -n -l", 720_000, tm);
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);
console.log(
  `wscale bench, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, median of ${RUNS} interleaved runs`,
);
console.log("\n| command | packets | wall s | CPU s | packets/s | peak RSS MB |\n|---|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.packets)} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${fmt(r.pps)}/s | ${r.rssMB.toFixed(0)} |`,
  );
}
console.log("\n| target | measured | wanted | met |\n|---|---|---|---|");
for (const [name, got, want, ok] of targets) console.log(`| ${name} | ${got} | ${want} | ${ok ? "yes" : "no"} |`);
