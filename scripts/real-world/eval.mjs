#!/usr/bin/env node
// Run the built CLI over every capture of a directory and summarise what it says.
//
//   npm run build && node scripts/real-world/eval.mjs CORPUS_DIR [--out eval.json] [--jobs 2]
//        [--timeout 120] [--bin dist/wscale.js] [--tshark]
//
// Captures are recognised by content (pcap, pcapng, gzip of either), as wscale itself does.
// Each one is analysed alone (`analyze FILE --format json`), two at a time, with a time limit.
// The JSON summary holds per file: exit code, time, the inputs' formats and warnings, every
// connection (4-tuple, handshake, scaling, offered and applied shift per side) and every
// warn/error finding (id, confidence, message, evidence); info findings are counted per id with
// the first one kept as a sample. Totals per finding id, crashes (a signal, an exit code other
// than 0/1/2, a stack trace on stderr, unparseable JSON), timeouts and input errors come last.
// With --tshark, tshark's tcp.window_size_scalefactor is read per stream and direction and every
// disagreement with wscale's shift is listed (scripts/real-world/tshark-shifts.mjs).
// The summary goes to --out (default: a file under the system's temporary directory, never the
// repository); a short text summary goes to stdout.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { gunzipSync, constants as zlibConstants } from "node:zlib";
import { tsharkShifts } from "./tshark-shifts.mjs";

const ROOT = resolve(import.meta.dirname, "../..");

function parseArgs(argv) {
  const opts = { dir: null, out: null, jobs: 2, timeout: 120, bin: join(ROOT, "dist/wscale.js"), tshark: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--out") opts.out = resolve(value());
    else if (a === "--jobs") opts.jobs = Number(value());
    else if (a === "--timeout") opts.timeout = Number(value());
    else if (a === "--bin") opts.bin = resolve(value());
    else if (a === "--tshark") opts.tshark = true;
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
    else if (opts.dir === null) opts.dir = resolve(a);
    else throw new Error(`one directory only (got ${a})`);
  }
  if (opts.dir === null)
    throw new Error("usage: eval.mjs CORPUS_DIR [--out FILE] [--jobs N] [--timeout S] [--bin FILE] [--tshark]");
  if (!(opts.jobs >= 1 && opts.timeout > 0)) throw new Error("--jobs and --timeout must be positive");
  opts.out ??= join(tmpdir(), "wscale-real-world", `eval-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  return opts;
}

/** The capture format from the first bytes, as wscale detects it; null for anything else. */
export function sniff(path) {
  const fd = openSync(path, "r");
  const head = Buffer.alloc(65536);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  let bytes = head.subarray(0, n);
  let gzip = false;
  if (n >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      gzip = true;
    } catch {
      return null;
    }
  }
  if (bytes.length < 4) return null;
  const magic = bytes.readUInt32BE(0);
  const format =
    magic === 0x0a0d0d0a ? "pcapng" : [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1].includes(magic) ? "pcap" : null;
  return format && { format, gzip };
}

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

function run(cmd, args, timeoutS) {
  return new Promise((done) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const stdout = [];
    const stderr = [];
    child.stdout.on("data", (d) => stdout.push(d));
    child.stderr.on("data", (d) => stderr.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({
        code,
        signal,
        timedOut,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
  });
}

const endpoint = (e) => (e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);

function summariseConnection(c) {
  return {
    id: c.id,
    client: endpoint(c.client),
    server: endpoint(c.server),
    firstFrame: c.firstFrame,
    handshake: c.handshake,
    scaling: c.scaling,
    rolesGuessed: c.rolesGuessed ?? false,
    offered: { client: c.client.wscaleOffered ?? "unknown", server: c.server.wscaleOffered ?? "unknown" },
    shift: { client: c.client.shift, server: c.server.shift },
    dataBytes: { client: c.client.dataBytes, server: c.server.dataBytes },
    maxInFlight: { client: c.client.maxInFlight, server: c.server.maxInFlight },
    retransmissions: { client: c.client.retransmissions, server: c.server.retransmissions },
    ...(c.capture ? { capture: c.capture } : {}),
  };
}

async function evaluate(file, opts) {
  const res = await run(process.execPath, [opts.bin, "analyze", file, "--format", "json"], opts.timeout);
  const entry = {
    file: relative(opts.dir, file),
    bytes: statSync(file).size,
    exitCode: res.code,
    signal: res.signal,
    timedOut: res.timedOut,
    ms: Math.round(res.ms),
  };
  const stderr = res.stderr.trim();
  if (stderr) entry.stderr = stderr.length > 4000 ? `${stderr.slice(0, 4000)}...` : stderr;
  const problems = [];
  if (res.timedOut) problems.push(`timed out after ${opts.timeout} s`);
  else if (res.signal) problems.push(`killed by ${res.signal}`);
  else if (![0, 1, 2].includes(res.code)) problems.push(`exit code ${res.code}`);
  if (/^\s+at .+[:(]\d+/m.test(res.stderr)) problems.push("stack trace on stderr");
  if (res.code === 2 && stderr.split("\n").length > 1) problems.push("exit 2 with more than one line on stderr");
  if (res.code === 0 || res.code === 1) {
    let report;
    try {
      report = JSON.parse(res.stdout);
    } catch (e) {
      problems.push(`stdout is not JSON: ${e.message}`);
    }
    if (report) {
      entry.inputs = report.inputs.map(({ path: _path, ...rest }) => rest);
      entry.connections = report.connections.map(summariseConnection);
      const byId = new Map(report.connections.map((c) => [c.id, c]));
      entry.findings = [];
      entry.info = {};
      for (const f of report.findings) {
        const c = byId.get(f.connection);
        const where = c ? { client: endpoint(c.client), server: endpoint(c.server) } : {};
        if (f.severity === "info") {
          entry.info[f.id] ??= { count: 0, sample: { connection: f.connection, ...where, message: f.message } };
          entry.info[f.id].count++;
        } else {
          const { advice: _advice, ...kept } = f;
          entry.findings.push({ ...kept, ...where });
        }
      }
      if (opts.tshark) entry.tshark = await compareWithTshark(file, report, opts);
    }
  }
  if (problems.length) entry.problems = problems;
  return entry;
}

/** tshark's shift per stream and direction against wscale's; only the disagreements are kept. */
async function compareWithTshark(file, report, opts) {
  let streams;
  try {
    streams = await tsharkShifts(file, opts.timeout);
  } catch (e) {
    return { error: e.message };
  }
  const mismatches = [];
  let compared = 0;
  for (const c of report.connections) {
    const key = (a, b) => `${endpoint(a)} ${endpoint(b)}`;
    const candidates = streams.filter((s) => s.key === key(c.client, c.server) || s.key === key(c.server, c.client));
    const s = candidates.find((x) => x.firstFrame === c.firstFrame) ?? (candidates.length === 1 ? candidates[0] : null);
    if (!s) continue;
    for (const side of ["client", "server"]) {
      const ours = c[side].shift;
      const theirs = s.shift[endpoint(c[side])];
      if (theirs === undefined) continue;
      compared++;
      if (ours !== theirs) {
        mismatches.push({
          connection: c.id,
          stream: s.stream,
          side,
          endpoint: endpoint(c[side]),
          wscale: ours,
          tshark: theirs,
          handshake: c.handshake,
        });
      }
    }
  }
  return { compared, mismatches };
}

function countBy(items, key) {
  const counts = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

async function pool(items, jobs, work) {
  const results = new Array(items.length);
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
      finished++;
      if (process.stderr.isTTY) process.stderr.write(`\r${finished}/${items.length} `);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  if (process.stderr.isTTY) process.stderr.write("\n");
  return results;
}

function totals(files) {
  const byId = {};
  for (const f of files) {
    for (const finding of f.findings ?? []) {
      const t = (byId[finding.id] ??= { severity: {}, confidence: {}, findings: 0, files: new Set() });
      t.findings++;
      t.severity[finding.severity] = (t.severity[finding.severity] ?? 0) + 1;
      t.confidence[finding.confidence] = (t.confidence[finding.confidence] ?? 0) + 1;
      t.files.add(f.file);
    }
    for (const [id, info] of Object.entries(f.info ?? {})) {
      const t = (byId[id] ??= { severity: {}, confidence: {}, findings: 0, files: new Set() });
      t.findings += info.count;
      t.severity.info = (t.severity.info ?? 0) + info.count;
      t.files.add(f.file);
    }
  }
  return Object.fromEntries(
    Object.entries(byId)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, t]) => [id, { ...t, files: t.files.size }]),
  );
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const captures = walk(opts.dir)
    .sort()
    .map((path) => ({ path, kind: sniff(path) }))
    .filter((c) => c.kind);
  process.stderr.write(`${captures.length} captures under ${opts.dir}\n`);
  const started = Date.now();
  const files = await pool(captures, opts.jobs, async (c) => ({ ...(await evaluate(c.path, opts)), ...c.kind }));
  const summary = {
    generated: new Date().toISOString(),
    dir: opts.dir,
    bin: opts.bin,
    wallSeconds: Math.round((Date.now() - started) / 1000),
    counts: {
      files: files.length,
      exit: countBy(files, (f) => (f.timedOut ? "timeout" : (f.exitCode ?? f.signal))),
      connections: files.reduce((n, f) => n + (f.connections?.length ?? 0), 0),
      warnOrError: files.reduce((n, f) => n + (f.findings?.length ?? 0), 0),
      withProblems: files.filter((f) => f.problems).length,
      shiftMismatches: files.reduce((n, f) => n + (f.tshark?.mismatches?.length ?? 0), 0),
    },
    totals: totals(files),
    problems: files.filter((f) => f.problems).map((f) => ({ file: f.file, problems: f.problems, stderr: f.stderr })),
    slowest: [...files]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10)
      .map((f) => ({ file: f.file, bytes: f.bytes, ms: f.ms })),
    files,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(summary, null, 1)}\n`);

  const lines = [
    `${files.length} captures in ${summary.wallSeconds} s; exit codes ${JSON.stringify(summary.counts.exit)}`,
  ];
  lines.push(`${summary.counts.connections} connections, ${summary.counts.warnOrError} warn/error findings`);
  for (const [id, t] of Object.entries(summary.totals)) {
    lines.push(
      `  ${id.padEnd(30)} ${String(t.findings).padStart(6)} in ${String(t.files).padStart(4)} files  ${JSON.stringify(t.severity)} ${JSON.stringify(t.confidence)}`,
    );
  }
  lines.push(`${summary.problems.length} files with problems (crash, timeout, stack trace, bad exit)`);
  for (const p of summary.problems) lines.push(`  ${p.file}: ${p.problems.join("; ")}`);
  if (opts.tshark)
    lines.push(`${summary.counts.shiftMismatches} shifts differ from tshark's tcp.window_size_scalefactor`);
  lines.push(`summary: ${opts.out}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    process.stderr.write(`eval.mjs: ${e.message}\n`);
    process.exit(2);
  });
}
