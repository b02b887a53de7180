#!/usr/bin/env node
// Benchmarks (SPEC section 9): whole-command wall time (median of several runs), packets/s and
// peak RSS, on generated captures (never committed: bench/out/), with tcptrace and tshark on the
// same files when installed. Commands that are compared run interleaved (a, b, a, b, ...) so that
// a slow spell of a shared machine weighs on both sides of a ratio alike.
// Usage: npm run bench [-- --runs 5 --quick]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench/out");
const BIN = join(ROOT, "dist/wscale.js");
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1] || 5) || 5;
const QUICK = args.includes("--quick");

const has = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const TIME = has("/usr/bin/time");
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

/** One run of a shell command: wall seconds and peak RSS in MB (null without /usr/bin/time). */
function once(shell) {
  const rssFile = join(OUT, ".rss");
  const timed = TIME ? `/usr/bin/time -f '%M' -o ${rssFile} sh -c ${JSON.stringify(shell)}` : shell;
  const t0 = process.hrtime.bigint();
  const r = spawnSync("sh", ["-c", `${timed} > /dev/null`], { stdio: ["ignore", "ignore", "pipe"] });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // wscale exits 1 when it has findings: that is a result, not a failure.
  if (r.status !== 0 && r.status !== 1) throw new Error(`${shell}: exit ${r.status}: ${r.stderr}`);
  const rssMB = TIME ? Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1)) / 1024 : null;
  return { seconds, rssMB };
}

/** Run the commands interleaved RUNS times: per command the median wall time and the largest RSS. */
function measure(...shells) {
  const samples = shells.map(() => ({ seconds: [], rssMB: null }));
  once(shells[0]); // warm the page cache and the disk before anything counts
  for (let i = 0; i < RUNS; i++) {
    shells.forEach((shell, k) => {
      const r = once(shell);
      samples[k].seconds.push(r.seconds);
      if (r.rssMB !== null) samples[k].rssMB = Math.max(samples[k].rssMB ?? 0, r.rssMB);
    });
  }
  return samples.map((s) => {
    s.seconds.sort((a, b) => a - b);
    return { seconds: s.seconds[Math.floor(s.seconds.length / 2)], rssMB: s.rssMB };
  });
}

const bulkN = QUICK ? 1_000_000 : 4_000_000;
const manyN = QUICK ? 15_000 : 60_000;
const bulk = input("bulk", bulkN);
const bulkHalf = input("bulk", bulkN / 2);
const many = input("many", manyN);
const bulkPackets = bulkN + 12; // the handshakes of the four connections come on top
const manyPackets = manyN * 12;
const tcptrace = has("tcptrace");

const rows = [];
function row(name, packets, m) {
  const r = { name, packets, ...m, pps: packets / m.seconds };
  rows.push(r);
  return r;
}

const [readDecode] = measure(`node ${ROOT}/bench/read-decode.mjs ${bulk}`);
row("read+decode only (bulk)", bulkPackets, readDecode);

const [bulkW, bulkT] = measure(
  `node ${BIN} analyze ${bulk} --format json`,
  ...(tcptrace ? [`tcptrace -n -l ${bulk}`] : []),
);
const aBulk = row("wscale analyze bulk --format json", bulkPackets, bulkW);
const tBulk = bulkT ? row("tcptrace -n -l bulk", bulkPackets, bulkT) : null;

const [halfW] = measure(`node ${BIN} analyze ${bulkHalf} --format json`);
const aHalf = row("wscale analyze bulk, half as long", bulkPackets / 2, halfW);

const [liveW, bulkW2] = measure(
  `cat ${bulk} | node ${BIN} live - --format ndjson`,
  `node ${BIN} analyze ${bulk} --format ndjson`,
);
const aLive = row("cat bulk \\| wscale live - --format ndjson", bulkPackets, liveW);
const aFile = row("wscale analyze bulk --format ndjson (file)", bulkPackets, bulkW2);

const [manyW, manyT] = measure(
  `node ${BIN} analyze ${many} --format json`,
  ...(tcptrace ? [`tcptrace -n -l ${many}`] : []),
);
const aMany = row("wscale analyze many --format json", manyPackets, manyW);
const tMany = manyT ? row("tcptrace -n -l many", manyPackets, manyT) : null;

let tshark = null;
if (has("tshark")) {
  // tshark takes minutes on the whole bulk file: compare packets/s on a 200k-packet subset.
  const [t] = measure(`tshark -r ${input("bulk", 200_000)} -T fields -e tcp.window_size_scalefactor`);
  tshark = row("tshark wscale fields, bulk 200k subset", 200_012, t);
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);
const mb = (r) => (r.rssMB === null ? "?" : r.rssMB.toFixed(0));
console.log(
  `wscale bench, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, median of ${RUNS} interleaved runs`,
);
console.log("\n| command | packets | wall s | packets/s | peak RSS MB |\n|---|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.name} | ${fmt(r.packets)} | ${r.seconds.toFixed(3)} | ${fmt(r.pps)}/s | ${mb(r)} |`);
}

const x = (a, b) => `${(a / b).toFixed(2)}x`;
const targets = [
  ["bulk: packets/s", `${fmt(aBulk.pps)}/s`, ">= 6 M/s", aBulk.pps >= 6e6],
  [
    "bulk: speed vs tcptrace",
    tBulk ? x(tBulk.seconds, aBulk.seconds) : "n/a",
    ">= 1.5x",
    tBulk && tBulk.seconds / aBulk.seconds >= 1.5,
  ],
  ["bulk: peak RSS", `${mb(aBulk)} MB`, "< 150 MB", aBulk.rssMB !== null && aBulk.rssMB < 150],
  [
    "bulk: RSS, twice as long",
    `${mb(aHalf)} -> ${mb(aBulk)} MB`,
    "flat (within 10%)",
    aBulk.rssMB !== null && aBulk.rssMB <= aHalf.rssMB * 1.1,
  ],
  ["many: packets/s", `${fmt(aMany.pps)}/s`, ">= 1.5 M/s", aMany.pps >= 1.5e6],
  [
    "many: speed vs tcptrace",
    tMany ? x(tMany.seconds, aMany.seconds) : "n/a",
    ">= 1.5x",
    tMany && tMany.seconds / aMany.seconds >= 1.5,
  ],
  [
    "many: peak RSS",
    `${mb(aMany)} MB${tMany ? ` (tcptrace ${mb(tMany)})` : ""}`,
    "< 300 MB",
    aMany.rssMB !== null && aMany.rssMB < 300,
  ],
  ["live from a pipe vs file", x(aLive.seconds, aFile.seconds), "<= 1.3x", aLive.seconds / aFile.seconds <= 1.3],
  ...(tshark
    ? [["bulk: packets/s vs tshark's", x(aBulk.pps, tshark.pps), ">= 150x", aBulk.pps / tshark.pps >= 150]]
    : []),
];
console.log("\n| target | measured | wanted | met |\n|---|---|---|---|");
for (const [name, got, want, ok] of targets) console.log(`| ${name} | ${got} | ${want} | ${ok ? "yes" : "no"} |`);
