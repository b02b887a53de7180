/**
 * The same traffic in several inputs (issue 12, item 1): both ends of one connection given to
 * `analyze` are two vantage points, each analysed as `analyze` alone would, plus the path diff
 * `compare` finds; the same capture twice, a capture and its gzip, or overlapping parts of one
 * capture count each record once. All on the kernel-made captures in captures/.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { type AnalysisReport, analyze } from "../src/analysis/analyze.js";
import { RecordDeduplicator } from "../src/analysis/dedup.js";
import { peekInputs } from "../src/analysis/inputs.js";
import { JobPool } from "../src/analysis/jobs.js";
import { DUPLICATE_WINDOW_S, planViews } from "../src/analysis/same-traffic.js";
import { VantageWatch, WATCH_MIN_MATCHES } from "../src/analysis/vantage-watch.js";
import { analyseInputs } from "../src/cli/analyze-inputs.js";
import { JOB_HANDLERS } from "../src/cli/jobs.js";
import { compareCaptures } from "../src/compare/compare.js";
import type { VantageReport } from "../src/compare/types.js";
import { SYN, TcpSegment } from "../src/decode/segment.js";
import type { Finding } from "../src/findings/finding.js";
import { BIN, ROOT } from "./helpers/bin.js";
import {
  readPcap,
  seconds,
  withCaplen,
  withClientPort,
  withSeconds,
  withSnaplen,
  writePcap,
} from "./helpers/pcap-records.js";

const CAP = (name: string) => join(ROOT, "captures", name);
const tmp = mkdtempSync(join(tmpdir(), "wscale-same-traffic-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const manifest = JSON.parse(readFileSync(CAP("manifest.json"), "utf8")) as {
  files: { file: string; tcpPackets: number }[];
};
const tcpPackets = (file: string) => manifest.files.find((f) => f.file === file)!.tcpPackets;
/** Every scenario captured at both ends: [client side, server side]. */
const PAIRS = manifest.files
  .map((f) => f.file)
  .filter((f) => /\.client\.pcap(ng)?$/.test(f))
  .map((c) => [c, c.replace(".client.", ".server.")] as const)
  .filter(([, s]) => manifest.files.some((f) => f.file === s));

const local = new JobPool(1, JOB_HANDLERS);
const run = (paths: string[]) => analyseInputs(paths, { idleTimeout: 300 }, local);
const alone = (path: string) => analyze([path], { idleTimeout: 300 });

/** A connection or finding without what the combined report adds or renumbers. */
const plainConnection = ({ id: _id, vantage: _v, ...rest }: VantageReport["connections"][number]) => rest;
const plainFinding = (f: Finding) => ({
  ...f,
  connection: undefined,
  vantages: undefined,
  evidence: f.evidence.map(({ input: _i, ...e }) => e),
});

const validate = new Ajv2020({ allErrors: true }).compile(
  JSON.parse(readFileSync(join(ROOT, "schema/report.schema.json"), "utf8")),
);
const expectValid = (report: unknown) => expect(validate(report), JSON.stringify(validate.errors)).toBe(true);

function wscale(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("both ends of a connection given to analyze", () => {
  it("a healthy download captured at both ends stays healthy: no retransmissions, no middlebox, each end's own RTT", async () => {
    const { report, notices } = await run([CAP("healthy.client.pcap"), CAP("healthy.server.pcap")]);
    const r = report as VantageReport;
    // What `analyze` said before (issue 12): "[error] window-enforcing-middlebox", 725
    // retransmissions of the server, a wrong RTT: every segment was seen twice.
    expect(r.findings).toEqual([]);
    expect(r.vantages).toEqual([
      { inputs: [0], side: "client side" },
      { inputs: [1], side: "server side" },
    ]);
    expect(r.connections.map((c) => [c.id, c.vantage, c.server.retransmissions, c.client.retransmissions])).toEqual([
      ["c1", 0, 0, 0],
      ["c2", 1, 0, 0],
    ]);
    const [client, server] = await Promise.all([alone(CAP("healthy.client.pcap")), alone(CAP("healthy.server.pcap"))]);
    expect(r.connections.map((c) => c.rttMs)).toEqual([client.connections[0]!.rttMs, server.connections[0]!.rttMs]);
    expect(r.matches.map((m) => [m.vantages, m.a, m.b, m.by, m.verdict])).toEqual([
      [[0, 1], "c1", "c2", "4-tuple", "unchanged"],
    ]);
    expect(notices).toEqual([
      `note: ${CAP("healthy.client.pcap")} and ${CAP("healthy.server.pcap")} hold the same traffic seen at two points (1397 packets of their first ones seen at both): each is analysed on its own, and the handshakes compared between them`,
    ]);
  });

  it.each(PAIRS)(
    "%s + %s: each end as analyze sees it alone, plus the path findings of compare",
    { timeout: 60_000 },
    async (clientFile, serverFile) => {
      const c = CAP(clientFile);
      const s = CAP(serverFile);
      const [r, rSwapped, a, b, cmp] = await Promise.all([
        run([c, s]).then((x) => x.report as VantageReport),
        run([s, c]).then((x) => x.report as VantageReport),
        alone(c),
        alone(s),
        compareCaptures(c, s, { idleTimeout: 300 }),
      ]);
      expectValid(r);
      expect(r.vantages.map((v) => v.side)).toEqual(["client side", "server side"]);
      expect(rSwapped.vantages.map((v) => v.side)).toEqual(["server side", "client side"]);
      const at = (v: number) => r.connections.filter((x) => x.vantage === v).map(plainConnection);
      expect(at(0)).toEqual(a.connections.map(({ id: _id, ...rest }) => rest));
      expect(at(1)).toEqual(b.connections.map(({ id: _id, ...rest }) => rest));
      const own = r.findings.filter((f) => f.vantages === undefined);
      // Each end's own findings as alone, except where the pair settles them as compare does: a
      // rewrite both capture points agree on is certain (SPEC section 4).
      const settled = cmp.findings.filter((f) => f.input !== undefined);
      expect(own.map(plainFinding)).toEqual(
        [...a.findings, ...b.findings].map((f, k) =>
          plainFinding({ ...f, confidence: settled[k]!.confidence, message: settled[k]!.message }),
        ),
      );
      const certain = own.filter((f, k) => f.confidence !== [...a.findings, ...b.findings][k]!.confidence);
      expect(certain.map((f) => [f.id, f.confidence])).toEqual(
        /^(rewrite-syn-0|zero-above-2)\./.test(clientFile)
          ? [
              ["scale-rewritten", "certain"],
              ["scale-rewritten", "certain"],
            ]
          : [],
      );
      // Evidence frames name the input they are in.
      expect(own.flatMap((f) => f.evidence.map((e) => e.input))).toEqual(
        [...a.findings.map((f) => f.evidence.map(() => 0)), ...b.findings.map((f) => f.evidence.map(() => 1))].flat(),
      );
      const path = r.findings.filter((f) => f.vantages !== undefined);
      const cmpPath = cmp.findings.filter((f) => f.input === undefined);
      expect(path.map(plainFinding)).toEqual(cmpPath.map(plainFinding));
      expect(path.map((f) => f.vantages)).toEqual(cmpPath.map(() => [0, 1]));
      expect(r.matches.map((m) => [m.by, m.verdict, m.diffs])).toEqual(
        cmp.matches.map((m) => [m.by, m.verdict, m.diffs]),
      );
      // Every TCP packet crossed the path: all of them are found at both ends. A SYN proxy answers
      // the handshake itself: its SYN-ACK and ACK, and the handshake packets it translates with IP ID 0
      // (5 packets at the client's end), are not the server's.
      const plan = planViews((await peekInputs([c, s])).inputs.map((i) => i.probes));
      const proxied = clientFile.startsWith("synproxy.") ? 5 : 0;
      expect(plan.relations.map((x) => [x.evidence.relation, x.evidence.shared])).toEqual([
        ["vantage", Math.min(tcpPackets(clientFile), tcpPackets(serverFile)) - proxied],
      ]);
    },
  );

  it("the command line: both ends of the seed case give its diagnosis at each end and the path's, exit 1", {
    timeout: 120_000,
  }, () => {
    const r = wscale([
      "analyze",
      CAP("rewrite-syn-0.client.pcap"),
      CAP("rewrite-syn-0.server.pcap"),
      "--format",
      "json",
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as VantageReport;
    expectValid(report);
    expect(report.findings.map((f) => [f.id, f.severity, f.connection, f.vantages ?? null])).toEqual([
      ["path-rewrote-wscale", "error", "c1", [0, 1]],
      ["scale-rewritten", "error", "c1", null],
      ["scale-rewritten", "error", "c2", null],
      ["window-limited", "info", "c2", null],
    ]);
    expect(report.inputs.map((i) => i.vantage)).toEqual([0, 1]);
    expect(r.stderr).toMatch(
      /^wscale: note: .*rewrite-syn-0\.client\.pcap and .*rewrite-syn-0\.server\.pcap hold the same traffic seen at two points/,
    );
  });

  it("one end on stdin: the same report as from two files", { timeout: 120_000 }, () => {
    const server = CAP("strip-synack.server.pcap");
    const files = wscale(["analyze", CAP("strip-synack.client.pcap"), server, "-F", "json"]);
    const piped = wscale(["analyze", CAP("strip-synack.client.pcap"), "-", "-F", "json"], readFileSync(server));
    expect(piped.code).toBe(1);
    expect(files.code).toBe(1);
    // Messages name the input as given: the file, or "-".
    expect(JSON.parse(piped.stdout)).toEqual(JSON.parse(files.stdout.replaceAll(server, "-")));
  });

  it("a capture in two consecutive files plus the other end: the parts are one vantage point", async () => {
    const { header, records } = readPcap(CAP("rewrite-syn-0.client.pcap"));
    const half = Math.floor(records.length / 2);
    writePcap(join(tmp, "part1.pcap"), header, records.slice(0, half));
    writePcap(join(tmp, "part2.pcap"), header, records.slice(half));
    const { report } = await run([join(tmp, "part1.pcap"), join(tmp, "part2.pcap"), CAP("rewrite-syn-0.server.pcap")]);
    const r = report as VantageReport;
    expect(r.vantages).toEqual([
      { inputs: [0, 1], side: "client side" },
      { inputs: [2], side: "server side" },
    ]);
    const whole = await run([CAP("rewrite-syn-0.client.pcap"), CAP("rewrite-syn-0.server.pcap")]);
    expect(r.findings.map((f) => [f.id, f.connection, f.vantages])).toEqual(
      (whole.report as VantageReport).findings.map((f) => [f.id, f.connection, f.vantages]),
    );
  });

  it("other traffic given along: a third vantage entry, shared with neither", async () => {
    const { report } = await run([
      CAP("zero-window.client.pcap"),
      CAP("zero-window.server.pcap"),
      CAP("strip-syn.client.pcap"),
    ]);
    const r = report as VantageReport;
    expect(r.vantages).toEqual([
      { inputs: [0], side: "client side" },
      { inputs: [1], side: "server side" },
      { inputs: [2], side: null },
    ]);
    expect(r.connections.map((c) => c.vantage)).toEqual([0, 1, 2]);
    expect(r.matches.map((m) => m.vantages)).toEqual([[0, 1]]);
  });
});

describe("one end's capture started long before the other (past the look-ahead)", () => {
  // 6160 records of ten other connections (zero-window's, client ports 20000..20009), 100 s
  // before the healthy download: the first 4096 segments of the two inputs share nothing.
  const early = join(tmp, "early.client.pcap");
  const { header, records } = readPcap(CAP("healthy.client.pcap"));
  const other = readPcap(CAP("zero-window.client.pcap")).records;
  const start = seconds(records[0]!) - 100;
  const before = Array.from({ length: 10 }, (_, k) =>
    other.map((r) => withClientPort(withSeconds(r, start + k), 80, 20000 + k)),
  ).flat();
  writePcap(early, header, [...before, ...records]);

  it("files: found while merging, analysed again as two vantage points", async () => {
    const { report, notices } = await run([early, CAP("healthy.server.pcap")]);
    const r = report as VantageReport;
    expect(r.vantages.map((v) => v.side)).toEqual(["client side", "server side"]);
    expect(r.connections.filter((c) => c.vantage === 1).length).toBe(1);
    expect(r.findings.filter((f) => f.severity !== "info").map((f) => f.id)).toEqual(Array(10).fill("zero-window"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^note: .*early\.client\.pcap and .*healthy\.server\.pcap hold the same traffic seen at two points from 2026-11-23T\d\d:\d\d:\d\d\.\d+Z on \(\d+ sampled packets seen at both, past the first ones compared\): analysed again/,
    );
  });

  it("one of them a stream: merged as before, with a warning that says so", { timeout: 120_000 }, () => {
    const r = wscale(["analyze", early, "-", "-F", "json"], readFileSync(CAP("healthy.server.pcap")));
    expect(JSON.parse(r.stdout).vantages).toBeUndefined();
    expect(r.stderr).toMatch(
      /^wscale: warning: .*early\.client\.pcap and - hold the same traffic seen at two points from .* merged into one stream, so the connections seen at both are counted twice; give them as files, or to `wscale compare`\n$/,
    );
  });
});

describe("the same packets seen at two points, past the look-ahead", () => {
  const syn = (input: number, time: number, seq: number, ttl: number) => {
    const s = new TcpSegment();
    s.input = input;
    s.time = time;
    s.seq = seq;
    s.flags = SYN;
    s.ttl = ttl;
    return s;
  };

  it("SYNs seen at both points (another TTL, 5 ms later) make two inputs vantage points", () => {
    const watch = new VantageWatch();
    watch.see(syn(1, 999, 7, 63)); // the second capture was running before
    for (let k = 0; k < WATCH_MIN_MATCHES; k++) {
      watch.see(syn(0, 1000 + k, 1000 + k, 64));
      watch.see(syn(1, 1000 + k + 0.005, 1000 + k, 63));
    }
    expect(watch.matches()).toEqual([{ a: 0, b: 1, packets: WATCH_MIN_MATCHES, since: 1000 }]);
  });

  it("a SYN retransmitted alike (no timestamps, IP ID 0) into the next file of one capture is not", () => {
    const watch = new VantageWatch();
    for (let k = 0; k < WATCH_MIN_MATCHES; k++) watch.see(syn(0, 1000 + k * 0.1, 1000 + k, 64));
    for (let k = 0; k < WATCH_MIN_MATCHES; k++) watch.see(syn(1, 1001 + k * 0.1, 1000 + k, 64));
    expect(watch.matches()).toEqual([]);
  });
});

describe("the same records in several inputs count once", () => {
  const byItself = async (path: string) => {
    const r = await alone(path);
    return { connections: r.connections, findings: r.findings };
  };
  // With several inputs a connection names the input it was read from; alone it has none.
  const content = (r: AnalysisReport | null) => ({
    connections: r!.connections.map(({ input: _input, ...c }) => c),
    findings: r!.findings,
  });

  it.each([
    ["the same file twice", "rewrite-syn-0.client.pcap", "rewrite-syn-0.client.pcap"],
    ["a capture and its gzip", "healthy.client.pcap", "healthy.client.pcap.gz"],
    ["its gzip first", "healthy.client.pcap.gz", "healthy.client.pcap"],
  ])("%s: exactly what the capture alone gives, and a warning", async (_name, x, y) => {
    const { report, notices } = await run([CAP(x), CAP(y)]);
    expect(content(report)).toEqual(await byItself(CAP(x)));
    const n = tcpPackets(x.replace(/\.gz$/, ""));
    expectValid(report);
    expect(report!.inputs.map((i) => i.duplicates ?? null)).toEqual([null, { of: 0, records: n }]);
    expect(notices).toEqual([
      `warning: ${CAP(y)}: ${n} of its ${n} TCP records are the same records as in ${CAP(x)} (the same capture, or overlapping ones): counted once`,
    ]);
  });

  it("two tcpdumps on one interface, one with a smaller snaplen: the complete records are the ones kept", async () => {
    // Their timestamps differ by a few microseconds (each socket stamps its own copy).
    for (const order of [
      ["healthy.snap73.client.pcap", "healthy.client.pcap"],
      ["healthy.client.pcap", "healthy.snap73.client.pcap"],
    ]) {
      const { report } = await run(order.map(CAP));
      expect(content(report)).toEqual(await byItself(CAP("healthy.client.pcap")));
      expect(report!.connections[0]!.client.wscaleOffered).toBe(10);
      const snap = order.indexOf("healthy.snap73.client.pcap");
      expect(report!.inputs[snap]!.duplicates).toEqual({ of: 1 - snap, records: 1397 });
    }
  });

  it("a copy whose snapshot length (54) cut every TCP option: still the same records, and still the other end's packets", async () => {
    const cut = (file: string) => {
      const { header, records } = readPcap(CAP(file));
      const out = join(tmp, `${file}.s54.pcap`);
      writePcap(
        out,
        withSnaplen(header, 54),
        records.map((r) => withCaplen(r, 54)),
      );
      return out;
    };
    const copy = await run([CAP("healthy.client.pcap"), cut("healthy.client.pcap")]);
    expect(content(copy.report)).toEqual(await byItself(CAP("healthy.client.pcap")));
    expect(copy.report!.inputs[1]!.duplicates).toEqual({ of: 0, records: 1397 });
    const ends = await run([CAP("healthy.client.pcap"), cut("healthy.server.pcap")]);
    expect((ends.report as VantageReport).vantages.map((v) => v.side)).toEqual(["client side", "server side"]);
  });

  it("overlapping parts of one capture (60% and the last 60%): the whole capture's report, the overlap counted once", async () => {
    const { header, records } = readPcap(CAP("rewrite-syn-0.client.pcap"));
    const a = Math.floor(records.length * 0.6);
    const b = Math.floor(records.length * 0.4);
    writePcap(join(tmp, "first.pcap"), header, records.slice(0, a));
    writePcap(join(tmp, "last.pcap"), header, records.slice(b));
    const whole = await byItself(CAP("rewrite-syn-0.client.pcap"));
    for (const order of [
      ["first.pcap", "last.pcap"],
      ["last.pcap", "first.pcap"],
    ]) {
      const { report } = await run(order.map((f) => join(tmp, f)));
      expect(content(report).connections).toEqual(whole.connections);
      expect(content(report).findings.map((f) => [f.id, f.severity, f.confidence, f.message])).toEqual(
        whole.findings.map((f) => [f.id, f.severity, f.confidence, f.message]),
      );
      expect(report!.inputs.map((i) => i.duplicates?.records ?? 0)).toEqual(
        order.map((f) => (f === order[1] ? a - b : 0)),
      );
    }
  });

  it("records of one packet: as many kept as the input holding the most of them has", () => {
    const dedup = new RecordDeduplicator(3);
    const seg = (input: number, time: number, seq: number) => {
      const s = new TcpSegment();
      s.input = input;
      s.time = time;
      s.seq = seq;
      s.ttl = 64;
      return s;
    };
    const t = 1000;
    const kept = [
      seg(0, t, 1), // A's record
      seg(0, t, 1), // A has it twice (a duplicate within one capture: the tracker's business)
      seg(1, t + 1e-5, 1), // B's copies of both
      seg(1, t + 2e-5, 1),
      seg(2, t + 3e-5, 1), // C's copy
      seg(1, t + 4e-5, 2), // another packet, only in B
      seg(2, t + DUPLICATE_WINDOW_S + 0.01, 1), // the same fields much later: another packet (a retransmission)
    ].map((s) => dedup.keep(s));
    expect(kept).toEqual([true, true, false, false, false, true, true]);
    expect(dedup.repeats).toEqual([null, { records: 2, of: 0 }, { records: 1, of: 0 }]);
  });
});

describe("an input that cannot be read among several", () => {
  it("the others are reported, the unreadable one named in one line, exit 2", { timeout: 120_000 }, () => {
    const empty = join(tmp, "empty.pcap");
    writePcap(empty, new Uint8Array(0), []);
    const good = wscale(["analyze", CAP("rewrite-syn-0.client.pcap"), "-F", "json"]);
    for (const args of [
      [CAP("rewrite-syn-0.client.pcap"), empty],
      [empty, CAP("rewrite-syn-0.client.pcap")],
    ]) {
      const r = wscale(["analyze", ...args, "-F", "json"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`wscale: ${empty}: byte 0: empty input\n`);
      const report = JSON.parse(r.stdout);
      expectValid(report);
      expect(report.unreadable).toEqual([{ path: empty, offset: 0, message: "empty input" }]);
      delete report.unreadable;
      expect(report).toEqual(JSON.parse(good.stdout));
    }
  });

  it("none readable: each named, nothing on stdout, exit 2", { timeout: 120_000 }, () => {
    const missing = join(tmp, "missing.pcap");
    const text = join(tmp, "not-a-capture.bin");
    writePcap(text, Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), []);
    const r = wscale(["analyze", missing, text]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `wscale: ${missing}: no such file\nwscale: ${text}: byte 0: not a capture: unknown format (first bytes 00 01 02 03 04 05 06 07)\n`,
    );
  });
});
