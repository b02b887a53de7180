/**
 * Trust on kernel-made captures (issue 12): what an engineer would check by hand before believing
 * a warn or error. Every capture here was written by tcpdump on a real Linux path (captures/, see
 * captures/README.md); the numbers each one must yield come from outside wscale: the kernel's own
 * counters and tshark's analysis recorded in captures/manifest.json, the pcap record headers, and
 * the TCP headers of the records that test/helpers/derive.ts removes, swaps or doubles.
 *
 * - healthy paths (loss, GRO, iperf3, keepalive, port reuse, SYN proxy, healthy-*) raise nothing at
 *   warn or error, from either end and from both ends given together;
 * - retransmissions are the sender kernel's count, never capture artefacts;
 * - the seed diagnosis (scale-rewritten) survives a capture that missed, reordered or doubled
 *   records, and the capture quality says exactly what was damaged;
 * - SYN cookies are the server's own answer, not a box: likely or possible as the packets allow;
 * - keepalives and zero-window probes are neither retransmissions nor a reason to split a connection.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type AnalysisReport, analyze } from "../src/analysis/analyze.js";
import { JobPool } from "../src/analysis/jobs.js";
import { analyseInputs } from "../src/cli/analyze-inputs.js";
import { JOB_HANDLERS } from "../src/cli/jobs.js";
import type { VantageReport } from "../src/compare/types.js";
import type { ConnectionSummary, EndpointSummary } from "../src/connections/summary.js";
import type { Finding } from "../src/findings/finding.js";
import { BIN, ROOT } from "./helpers/bin.js";
import {
  dropRandom,
  duplicateRecords,
  parsePcap,
  prng,
  recordCount,
  removeRecords,
  shiftTimestamps,
  stretchGaps,
  swapAdjacent,
  timestamp,
} from "./helpers/derive.js";
import { requireTools } from "./helpers/tools.js";

const DIR = join(ROOT, "captures");
const CAP = (file: string) => join(DIR, file);

// ---------------------------------------------------------------------------------------------
// The manifest: what tshark and the kernel counted for each file (test/lab/capsummary.py).

interface Analysis {
  retransmission: number;
  outOfOrder: number;
  lostSegment: number;
  ackedUnseenSegment: number;
  zeroWindowProbe: number;
  keepAlive: number;
  windowFull: number;
}
interface ManifestEndpoint {
  ip: string;
  port: number;
  dataBytes: number;
  zeroWindows: number;
  analysis: Analysis;
  /** Retransmitted FINs without data (tshark counts them among its retransmissions). */
  finRetransmissions: number;
}
interface ManifestSyn {
  frame: number;
  wscale: number | null;
  optionKinds: number[];
  /** How many times it was sent, when more than once. */
  count?: number;
}
interface ManifestConnection {
  client: ManifestEndpoint;
  server: ManifestEndpoint;
  syn: ManifestSyn | null;
  synAck: ManifestSyn | null;
}
type Counters = Record<"RetransSegs" | "TCPWinProbe" | "TCPKeepAlive" | "SyncookiesSent", number>;
interface ManifestFile {
  file: string;
  run?: string;
  gzipOf?: string;
  counters?: Record<"client" | "server", Counters>;
  options?: { offloads?: boolean };
  tcpPackets: number;
  connections: ManifestConnection[];
}

const manifest: { files: ManifestFile[] } = JSON.parse(readFileSync(CAP("manifest.json"), "utf8"));
/** A .gz copy stands for the same numbers (and run) as the file it compresses. */
const FILES: ManifestFile[] = manifest.files.map((f) =>
  f.gzipOf ? { ...manifest.files.find((o) => o.file === f.gzipOf)!, file: f.file, gzipOf: f.gzipOf } : f,
);
const entry = (file: string) => FILES.find((f) => f.file === file)!;
/** The capture point of a file: captured at the client's veth or at the server's. */
const sideOf = (file: string): "client" | "server" => (file.includes(".server.") ? "server" : "client");
const TS = 8;
const MSS = 2;

/** Runs on paths where nothing touches a window-scale option (captures/README.md, issue 12). */
const HEALTHY_RUNS = [
  "healthy",
  "healthy-any",
  "healthy-ns",
  "healthy-pcapng",
  "healthy-8m",
  "vlan",
  "vlan-qinq",
  "loss-1",
  "loss-3",
  "loss-1-upload",
  "iperf3-download",
  "iperf3-upload",
  "iperf3-download-loss-1",
  "iperf3-upload-loss-1",
  "gro",
  "gro-loss-1",
  "keepalive",
  "port-reuse",
  "synproxy",
  "syn-cookies",
];
const HEALTHY = FILES.filter((f) => HEALTHY_RUNS.includes(f.run ?? ""));
/** Each healthy run captured at both ends: [client side, server side]. */
const HEALTHY_PAIRS = HEALTHY.map((f) => f.file)
  .filter((f) => f.includes(".client."))
  .map((c) => [c, c.replace(".client.", ".server.")] as const)
  .filter(([, s]) => HEALTHY.some((f) => f.file === s));

/**
 * Data segments an end sent again, as tshark counts them at this capture: at the sender it labels
 * most retransmissions "Out-Of-Order" (they closely follow later segments), and it also counts a
 * repeated SYN or SYN-ACK and bare FINs, which carry no data.
 */
const tsharkRetransmissions = (e: ManifestEndpoint, syn: ManifestSyn | null) =>
  e.analysis.retransmission + e.analysis.outOfOrder - ((syn?.count ?? 1) - 1) - e.finRetransmissions;

// ---------------------------------------------------------------------------------------------
// Each capture is analysed once.

const reports = new Map<string, Promise<AnalysisReport>>();
function report(path: string): Promise<AnalysisReport> {
  if (!reports.has(path)) reports.set(path, analyze([path], { idleTimeout: 300 }));
  return reports.get(path)!;
}
const ofFile = (file: string) => report(CAP(file));
const pool = new JobPool(1, JOB_HANDLERS);
const together = async (...files: string[]) =>
  (await analyseInputs(files.map(CAP), { idleTimeout: 300 }, pool)).report as VantageReport;

const loud = (findings: Finding[]) => findings.filter((f) => f.severity !== "info");
const ids = (findings: Finding[]) => findings.map((f) => `${f.id} ${f.severity} ${f.confidence}`);

/** Our connection for each of the manifest's: the same client port and SYN frame (a 4-tuple may come back). */
function matched<C extends ConnectionSummary>(connections: C[], m: ManifestFile) {
  expect(connections).toHaveLength(m.connections.length);
  return m.connections.map((mc) => {
    const c = connections.find(
      (x) => x.client.port === mc.client.port && (mc.syn === null || x.client.syn?.frame === mc.syn.frame),
    );
    expect(c, `connection from port ${mc.client.port}`).toBeDefined();
    return { mc, c: c! };
  });
}

const tmp = mkdtempSync(join(tmpdir(), "wscale-trust-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const derived = new Map<Uint8Array, Promise<AnalysisReport>>();
/** A derived capture, written to this suite's temporary directory (removed afterwards) and analysed once. */
function ofBytes(bytes: Uint8Array): Promise<AnalysisReport> {
  if (!derived.has(bytes)) {
    const path = join(tmp, `derived-${derived.size + 1}.pcap`);
    writeFileSync(path, bytes);
    derived.set(bytes, report(path));
  }
  return derived.get(bytes)!;
}

// ---------------------------------------------------------------------------------------------
// 1. No false alarm on healthy paths.

describe("healthy paths raise nothing at warn or error, from either end", () => {
  it("the set covers every healthy run of issue 12, at both ends", () => {
    expect(new Set(HEALTHY.map((f) => f.run))).toEqual(new Set(HEALTHY_RUNS));
    expect(HEALTHY_PAIRS.map(([c]) => entry(c).run).sort()).toEqual([...HEALTHY_RUNS].sort());
  });

  for (const m of HEALTHY) {
    it(`${m.file}: no warn or error finding`, async () => {
      const r = await ofFile(m.file);
      expect(ids(loud(r.findings))).toEqual([]);
    });
  }

  // A capture at a host's own veth misses nothing (tshark finds no "ACKed segment that wasn't
  // captured" in any of them): what the router dropped is network loss, never a capture gap.
  for (const m of HEALTHY) {
    const body = async () => {
      expect(
        m.connections.every((c) => c.client.analysis.ackedUnseenSegment + c.server.analysis.ackedUnseenSegment === 0),
      ).toBe(true);
      const r = await ofFile(m.file);
      for (const c of r.connections) {
        expect(
          {
            uncapturedBytes: c.capture.uncapturedBytes,
            uncapturedGaps: c.capture.uncapturedGaps,
            quality: c.capture.quality,
          },
          `connection from port ${c.client.port}`,
        ).toEqual({ uncapturedBytes: 0, uncapturedGaps: 0, quality: "good" });
      }
    };
    const name = `${m.file}: network loss is not a capture gap (capture quality good)`;
    // iperf3-download-loss-1.client: the router dropped a bare FIN; its retransmission fills the hole.
    it(name, body);
  }
});

describe("both ends given to analyze together: two vantage points, nothing counted twice", () => {
  for (const [clientFile, serverFile] of HEALTHY_PAIRS) {
    it(`${clientFile} + ${serverFile}: no warn or error, each end's retransmissions as tshark counts them there`, async () => {
      const r = await together(clientFile, serverFile);
      expect(r.vantages.map((v) => v.side)).toEqual(["client side", "server side"]);
      // Neither file holds a record of the other: the same traffic, not the same records.
      expect(r.inputs.map((i) => i.duplicates)).toEqual([undefined, undefined]);
      expect(ids(loud(r.findings))).toEqual([]);
      for (const [v, file] of [clientFile, serverFile].entries()) {
        const m = entry(file);
        for (const { mc, c } of matched(
          r.connections.filter((x) => x.vantage === v),
          m,
        )) {
          expect(c.client.retransmissions, `${file}: from ${mc.client.port}`).toBe(
            tsharkRetransmissions(mc.client, mc.syn),
          );
          expect(c.server.retransmissions, `${file}: from ${mc.server.port} to ${mc.client.port}`).toBe(
            tsharkRetransmissions(mc.server, mc.synAck),
          );
        }
      }
    });
  }

  const twice = entry("loss-1.server.pcap.gz");
  it(`${twice.file} given twice counts each record once: ${twice.counters!.server.RetransSegs} retransmissions, not every segment`, async () => {
    const file = twice.file;
    const m = twice;
    const r = await together(file, file);
    expect(ids(loud(r.findings))).toEqual([]);
    expect(r.connections).toHaveLength(1);
    expect(r.connections[0]!.server.retransmissions).toBe(m.counters!.server.RetransSegs);
    expect(r.connections[0]!.client.retransmissions).toBe(0);
  });

  it("the bundle: `wscale analyze loss-1.client loss-1.server --format json` exits 0 with no finding", () => {
    const run = spawnSync(
      process.execPath,
      [BIN, "analyze", CAP("loss-1.client.pcap.gz"), CAP("loss-1.server.pcap.gz"), "--format", "json"],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as VantageReport;
    expect(r.findings).toEqual([]);
    const kernel = entry("loss-1.server.pcap.gz").counters!.server.RetransSegs;
    expect(r.connections.map((c) => [c.vantage, c.server.retransmissions, c.client.retransmissions])).toEqual([
      [0, kernel, 0],
      [1, kernel, 0],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Retransmissions are the kernel's.

describe("retransmissions equal the count of the kernel that sent them", () => {
  // Runs with the kernel's counters; with offloads on the kernel counts segments and the capture
  // shows TSO super-segments, so only tshark's frame count is an oracle there.
  const counted = FILES.filter((f) => f.counters && HEALTHY_RUNS.includes(f.run ?? "") && !f.gzipOf);
  const sumOver = (r: AnalysisReport, side: "client" | "server") =>
    r.connections.reduce((n, c) => n + c[side].retransmissions, 0);
  /** What the kernel counts besides data: a SYN or SYN-ACK sent again, a bare FIN sent again. */
  const extras = (m: ManifestFile, side: "client" | "server") =>
    m.connections.reduce(
      (n, c) => n + ((side === "client" ? c.syn : c.synAck)?.count ?? 1) - 1 + c[side].finRetransmissions,
      0,
    );

  // A capture at a host's own veth sees every segment that host sent, before any loss on the path.
  for (const m of counted.filter((f) => !f.options?.offloads)) {
    const host = sideOf(m.file);
    const kernel = m.counters![host].RetransSegs;
    it(`${m.file}: at the ${host}'s own capture, its retransmissions are its RetransSegs (${kernel})`, async () => {
      const r = await ofFile(m.file);
      expect(sumOver(r, host) + extras(m, host)).toBe(kernel);
    });
  }

  for (const m of counted.filter((f) => !f.options?.offloads)) {
    const receiver = sideOf(m.file) === "client" ? "server" : "client";
    const kernel = m.counters![receiver].RetransSegs;
    const tshark = m.connections.reduce(
      (n, c) => n + tsharkRetransmissions(c[receiver], receiver === "client" ? c.syn : c.synAck),
      0,
    );
    // The far end's capture sees only the retransmissions that survived the path: tshark's count
    // there, which is the kernel's unless a retransmission was lost again (loss-3: 389 of 393).
    const extra = extras(m, receiver);
    const what = `${tshark}${extra > 0 ? ` + ${extra} without data` : ""}`;
    const all = tshark + extra === kernel ? `all ${kernel}` : `${tshark + extra} of the ${kernel}`;
    it(`${m.file}: the far ${receiver}'s retransmissions are those that arrived (tshark: ${what}; ${all} of its RetransSegs)`, async () => {
      const r = await ofFile(m.file);
      expect(sumOver(r, receiver)).toBe(tshark);
      expect(tshark + extras(m, receiver)).toBeLessThanOrEqual(kernel);
    });
  }

  it("loss-1 and loss-1-upload: the manifest holds the numbers the README states (52 and 73, at both ends)", () => {
    for (const [run, sender] of [
      ["loss-1", "server"],
      ["loss-1-upload", "client"],
    ] as const) {
      const files = counted.filter((f) => f.run === run);
      expect(files).toHaveLength(2);
      const kernel = files[0]!.counters![sender].RetransSegs;
      for (const f of files) {
        expect(f.counters![sender].RetransSegs).toBe(kernel);
        // At both ends tshark's retransmissions plus out-of-order equal the kernel's count.
        expect(f.connections.reduce((n, c) => n + tsharkRetransmissions(c[sender], null), 0)).toBe(kernel);
      }
    }
    expect(counted.find((f) => f.run === "loss-1")!.counters!.server.RetransSegs).toBe(52);
    expect(counted.find((f) => f.run === "loss-1-upload")!.counters!.client.RetransSegs).toBe(73);
  });

  for (const m of counted.filter((f) => f.options?.offloads)) {
    const sent = (side: "client" | "server") => m.connections.reduce((n, c) => n + c[side].dataBytes, 0);
    const sender = sent("server") >= sent("client") ? "server" : "client";
    it(`${m.file} (offloads on): the ${sender}'s retransmitted frames as tshark counts them, no more than the kernel's segments`, async () => {
      const r = await ofFile(m.file);
      const tshark = m.connections.reduce(
        (n, c) => n + tsharkRetransmissions(c[sender], sender === "client" ? c.syn : c.synAck),
        0,
      );
      expect(sumOver(r, sender)).toBe(tshark);
      expect(tshark).toBeLessThanOrEqual(m.counters![sender].RetransSegs);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 3. The seed diagnosis survives a damaged capture, and the capture quality names the damage.

const FIN = 0x01;
const SYN = 0x02;
const ACK = 0x10;
const CLIENT_IP = "198.18.1.2";

/** The TCP header fields of one record of an Ethernet + IPv4 capture, read from its bytes. */
interface TcpFields {
  fromClient: boolean;
  flags: number;
  seq: number;
  ack: number;
  len: number;
}
function tcpFields(record: Uint8Array): TcpFields {
  const d = new DataView(record.buffer, record.byteOffset + 16, record.byteLength - 16);
  expect(d.getUint16(12), "Ethernet type IPv4").toBe(0x0800);
  const ip = 14;
  const ihl = (d.getUint8(ip) & 15) * 4;
  const tcp = ip + ihl;
  const src = [12, 13, 14, 15].map((i) => d.getUint8(ip + i)).join(".");
  return {
    fromClient: src === CLIENT_IP,
    flags: d.getUint8(tcp + 13),
    seq: d.getUint32(tcp + 4),
    ack: d.getUint32(tcp + 8),
    len: d.getUint16(ip + 2) - ihl - (d.getUint8(tcp + 12) >> 4) * 4,
  };
}
const fieldsOf = (bytes: Uint8Array) => parsePcap(bytes).records.map(tcpFields);

/**
 * The server's sequence space (data and FIN) that the client acknowledged but the capture never
 * saw: in bytes, and in gaps counted as they are acknowledged (each ACK that covers missing
 * ranges counts each separate one; a range acknowledged in two steps, with a captured ACK between,
 * is two gaps: two records went missing there). Walked from the records that are left; the seed
 * case's client sends no data.
 */
function uncaptured(bytes: Uint8Array): { bytes: number; gaps: number } {
  const recs = fieldsOf(bytes);
  const isn = recs.find((r) => !r.fromClient && r.flags & SYN)!.seq;
  const rel = (s: number) => (s - isn - 1) >>> 0;
  const covered = new Uint8Array(1 << 16);
  let acked = 0;
  let gaps = 0;
  let missing = 0;
  for (const r of recs) {
    if (r.flags & SYN) continue;
    if (!r.fromClient) covered.fill(1, rel(r.seq), rel(r.seq) + r.len + (r.flags & FIN ? 1 : 0));
    else if (r.flags & ACK && rel(r.ack) > acked) {
      const a = rel(r.ack);
      for (let i = acked; i < a; i++) {
        if (covered[i]) continue;
        missing++;
        if (i === acked || covered[i - 1]) gaps++;
      }
      acked = a;
    }
  }
  return { bytes: missing, gaps };
}

/** Records stamped earlier than the one before them. */
function timeReversals(bytes: Uint8Array): number {
  const p = parsePcap(bytes);
  return p.records.reduce((n, _, i) => n + (i > 0 && timestamp(p, i) < timestamp(p, i - 1) ? 1 : 0), 0);
}

interface Damage {
  name: string;
  bytes: Uint8Array;
  /** The capture object the derived file must yield (without `quality`). */
  capture: Omit<ConnectionSummary["capture"], "quality">;
}

/** Deterministic damage to one side of the seed case: what a capture misses, reorders or doubles. */
function damages(file: string): Damage[] {
  const original = new Uint8Array(readFileSync(CAP(file)));
  const recs = fieldsOf(original);
  const n = recs.length;
  const clean = { uncapturedBytes: 0, uncapturedGaps: 0, outOfOrder: 0, duplicates: 0, timeReversed: 0 };
  const out: Damage[] = [];
  const seeds = [1, 2, 3, 4, 5];

  // One client ACK gone (not the handshake's; ten tries, as in the issue): a pure ACK takes no sequence space, so nothing the
  // peer acknowledged is missing and the packets cannot show the loss; the server's next segment
  // then lies beyond the last ACK seen, which the detector must tolerate.
  const acks = recs.flatMap((r, i) => (i > 2 && r.fromClient && r.flags === ACK && r.len === 0 ? [i] : []));
  for (const seed of [...seeds, 6, 7, 8, 9, 10]) {
    const i = acks[Math.floor(prng(seed)() * acks.length)]!;
    out.push({
      name: `without the client ACK of record ${i} (seed ${seed})`,
      bytes: removeRecords(original, [i]),
      capture: clean,
    });
  }
  // 2% of the records dropped at random, the handshake kept.
  for (const seed of seeds) {
    const { bytes, dropped } = dropRandom(original, 2, seed, [0, 1, 2]);
    const u = uncaptured(bytes);
    out.push({
      name: `2% of records dropped (seed ${seed}: ${dropped.join(",")})`,
      bytes,
      capture: { ...clean, uncapturedBytes: u.bytes, uncapturedGaps: u.gaps },
    });
  }
  // Two neighbours written in each other's place (time stamps travel with their records): the
  // SYN-ACK before its SYN and the ACK before its SYN-ACK (multi-queue capture), the first data
  // segment and its ACK, that ACK and the next segment, and three more from seeds.
  const swaps = [0, 1, 3, 4, ...seeds.slice(0, 3).map((seed) => 3 + Math.floor(prng(seed)() * (n - 4)))];
  for (const i of swaps) {
    const bytes = swapAdjacent(original, i);
    const [first, second] = [recs[i + 1]!, recs[i]!];
    // An ACK now precedes the data it acknowledges: that segment fills a hole, out of order.
    const ackFirst = first.fromClient && !second.fromClient && second.len > 0 && ((first.ack - second.seq) | 0) > 0;
    out.push({
      name: `records ${i} and ${i + 1} swapped`,
      bytes,
      capture: { ...clean, outOfOrder: ackFirst ? 1 : 0, timeReversed: timeReversals(bytes) },
    });
  }
  // Records written twice (two interfaces, `-i any`): one data segment, one ACK, six at once.
  for (const twice of [[3], [4], [10, 11, 12, 100, 200, 300]]) {
    out.push({
      name: `records ${twice.join(",")} written twice`,
      bytes: duplicateRecords(original, twice),
      capture: { ...clean, duplicates: twice.length },
    });
  }
  return out;
}

for (const file of ["rewrite-syn-0.client.pcap", "rewrite-syn-0.server.pcap"]) {
  describe(`${file}: the rewrite is still found in a damaged capture, and the damage is counted`, () => {
    const m = entry(file);
    const cases = damages(file);

    it("the damage is real: every derived capture differs, and swaps cover both orders", () => {
      expect(new Set(cases.map((c) => Buffer.from(c.bytes).toString("base64"))).size).toBe(cases.length);
      const swapped = cases.filter((c) => c.name.includes("swapped"));
      expect(swapped.some((c) => c.capture.outOfOrder === 1)).toBe(true);
      expect(swapped.some((c) => c.capture.outOfOrder === 0)).toBe(true);
      expect(cases.filter((c) => c.name.includes("dropped")).every((c) => c.capture.uncapturedGaps > 0)).toBe(true);
    });

    for (const d of cases) {
      it(`${d.name}: scale-rewritten (error), capture ${JSON.stringify(d.capture)}`, async () => {
        const r = await ofBytes(d.bytes);
        expect(r.connections).toHaveLength(1);
        const c = r.connections[0]!;
        const { quality, ...counts } = c.capture;
        expect(counts).toEqual(d.capture);
        if (Object.values(d.capture).some((v) => v > 0)) expect(quality).not.toBe("good");
        else expect(quality).toBe("good");
        // The only warn or error: the seed diagnosis, in the client's SYN.
        const found = loud(r.findings);
        expect(found.map((f) => [f.id, f.severity, f.direction])).toEqual([
          ["scale-rewritten", "error", "client-to-server"],
        ]);
        // A missed, reordered or doubled record is never a retransmission (tshark: none in the original).
        const mc = m.connections[0]!;
        expect([c.client.retransmissions, c.server.retransmissions]).toEqual([
          tsharkRetransmissions(mc.client, mc.syn),
          tsharkRetransmissions(mc.server, mc.synAck),
        ]);
      });
    }

    const says = async () => {
      for (const d of cases) {
        const r = await ofBytes(d.bytes);
        const { quality } = r.connections[0]!.capture;
        const [found] = loud(r.findings);
        expect(found!.message.includes(`The capture itself is ${quality}`), d.name).toBe(quality !== "good");
      }
    };
    const name = "the finding says when the capture it rests on is imperfect, and how";
    it(name, says);
  });
}

/** A lab capture without its SYN-ACKs (retransmitted ones too), found by tshark. */
function withoutSynAcks(m: ManifestFile): Uint8Array {
  const run = spawnSync(
    "tshark",
    ["-r", CAP(m.file), "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 1", "-T", "fields", "-e", "frame.number"],
    { encoding: "utf8" },
  );
  expect(run.status, run.stderr).toBe(0);
  const frames = run.stdout.split("\n").filter(Boolean).map(Number);
  expect(frames.length).toBeGreaterThanOrEqual(m.connections.length);
  return removeRecords(
    new Uint8Array(readFileSync(CAP(m.file))),
    frames.map((f) => f - 1),
  );
}

requireTools(["tshark"]).describe(
  "the SYN-ACK not captured: a rewrite is still possible at the victim's end, nothing is raised on a healthy path",
  () => {
    // Classic pcap (what derive.ts rewrites), each capture once (not its gzip copy).
    const pcaps = (files: ManifestFile[]) => files.filter((m) => !m.file.endsWith(".pcapng") && !m.gzipOf);

    for (const m of pcaps(HEALTHY)) {
      it(`${m.file} without its SYN-ACKs: no warn or error finding`, async () => {
        const r = await ofBytes(withoutSynAcks(m));
        expect(r.connections.map((c) => c.handshake)).toEqual(m.connections.map(() => "partial"));
        expect(ids(loud(r.findings))).toEqual([]);
      });
    }

    for (const run of ["rewrite-syn-0", "zero-above-2"]) {
      const client = entry(`${run}.client.pcap`);
      it(`${run}.client.pcap without its SYN-ACK: scale-rewritten, warn, possible, from the same flights`, async () => {
        const full = (await ofFile(client.file)).findings.find((f) => f.id === "scale-rewritten")!;
        const r = await ofBytes(withoutSynAcks(client));
        const found = loud(r.findings);
        expect(found.map((f) => [f.id, f.severity, f.confidence, f.direction])).toEqual([
          ["scale-rewritten", "warn", "possible", "client-to-server"],
        ]);
        const offered = client.connections[0]!.syn!.wscale;
        const used = full.readAs![0]!.readWith;
        // The flights at the edge are the ones the full capture counted, but the first, sent before any round trip was measured.
        const [, rounds, flights] = full.message.match(/^In (\d+) of its (\d+) flights/)!;
        expect(found[0]!.message).toContain(`In ${Number(rounds) - 1} of its ${flights} flights`);
        expect(found[0]!.message).toContain(
          `a box on the path possibly rewrote the shift in the client's SYN from ${offered} to ${used}.`,
        );
      });

      it(`${run}: that capture and the server's together make it certain, an error at both ends`, async () => {
        const path = join(tmp, `${run}-without-synack.client.pcap`);
        writeFileSync(path, withoutSynAcks(client));
        const r = (await analyseInputs([path, CAP(`${run}.server.pcap`)], { idleTimeout: 300 }, pool))
          .report as VantageReport;
        const rewrites = r.findings.filter((f) => f.id === "scale-rewritten");
        const offered = client.connections[0]!.syn!.wscale;
        expect(rewrites.map((f) => [f.severity, f.confidence, f.direction])).toEqual([
          ["error", "certain", "client-to-server"],
          ["error", "certain", "client-to-server"],
        ]);
        for (const f of rewrites)
          expect(f.message).toContain(
            `Both capture points agree: the SYN left with wscale ${offered} and arrived with 0.`,
          );
      });

      // At the server the SYN arrives already rewritten: without the SYN-ACK, nothing there shows it.
      it(`${run}.server.pcap without its SYN-ACK: no warn or error (the rewritten SYN is all there is)`, async () => {
        const r = await ofBytes(withoutSynAcks(entry(`${run}.server.pcap`)));
        expect(ids(loud(r.findings))).toEqual([]);
      });
    }
  },
);

// ---------------------------------------------------------------------------------------------
// 4. SYN cookies: the server's own answer.

describe("SYN cookies: a SYN-ACK with MSS only is the server's cookie, never a stripped option", () => {
  const runs = ["syn-cookies", "syn-cookies-no-ts", "syn-cookies-mix", "syn-backlog"];
  const files = FILES.filter((f) => runs.includes(f.run ?? ""));

  it("the runs are there at both ends, and their servers did send cookies (SyncookiesSent)", () => {
    expect(files.map((f) => f.file).sort()).toEqual(
      runs.flatMap((r) => [`${r}.client.pcap`, `${r}.server.pcap`]).sort(),
    );
    for (const f of files) expect(f.counters!.server.SyncookiesSent, f.file).toBeGreaterThan(0);
  });

  /**
   * From the packets: a SYN-ACK of MSS alone (no wscale, no SACK-permitted, no NOPs in their
   * place) to a SYN that offered wscale and SACK. "likely" when the same server offered wscale in
   * another SYN-ACK of the capture; else "possible" when the client sent no timestamps (a Linux
   * cookie keeps wscale and SACK only in the timestamp); src/findings/rules/syn-cookies.ts.
   */
  function expected(m: ManifestFile, mc: ManifestConnection): string | null {
    const cookie =
      mc.synAck!.optionKinds.join() === String(MSS) && mc.syn!.wscale !== null && mc.syn!.optionKinds.includes(4);
    if (!cookie) return null;
    const elsewhere = m.connections.some(
      (o) => o !== mc && o.server.ip === mc.server.ip && o.server.port === mc.server.port && o.synAck?.wscale != null,
    );
    if (elsewhere) return "likely";
    return mc.syn!.optionKinds.includes(TS) ? null : "possible";
  }

  for (const m of files) {
    const want = m.connections.map((mc) => expected(m, mc));
    it(`${m.file}: ${want.map((w) => w ?? "no cookie").join(", ")}; never stripped or declined`, async () => {
      const r = await ofFile(m.file);
      for (const { mc, c } of matched(r.connections, m)) {
        const mine = r.findings.filter((f) => f.connection === c.id);
        const cookie = expected(m, mc);
        expect(
          mine.filter((f) => f.id === "syn-cookies").map((f) => `${f.severity} ${f.confidence}`),
          `connection from port ${mc.client.port}`,
        ).toEqual(
          // "possible" is a note unless the transfer visibly hit the unscaled cap here: tshark's window-full
          // segments from the server (seen at the server's end, not at the client's).
          cookie === null
            ? []
            : [`${cookie === "possible" && mc.server.analysis.windowFull === 0 ? "info" : "warn"} ${cookie}`],
        );
        // Scaling is off because the server answered without it: "on" exactly when both SYNs carried it.
        expect(c.scaling).toBe(mc.syn!.wscale !== null && mc.synAck!.wscale !== null ? "on" : "off");
        expect(mine.filter((f) => ["scale-stripped", "scale-declined", "option-cleared-nops"].includes(f.id))).toEqual(
          [],
        );
      }
      expect(ids(loud(r.findings).filter((f) => f.id !== "syn-cookies"))).toEqual([]);
    });
  }

  it("the expectations are not all alike: the mix and the backlog say likely, no-ts possible, TS none", () => {
    const of = (file: string) => entry(file).connections.map((mc) => expected(entry(file), mc));
    expect(of("syn-cookies.client.pcap")).toEqual([null]);
    expect(of("syn-cookies-no-ts.client.pcap")).toEqual(["possible"]);
    expect(of("syn-cookies-mix.client.pcap")).toEqual([null, "likely"]);
    expect(of("syn-backlog.client.pcap")).toEqual([null, null, "likely", "likely"]);
  });
});

describe("stragglers after a close: counted with the input, not as a connection without a handshake", () => {
  // healthy.client.pcap ends: server FIN (index 1394), client FIN (1395), the server's final ACK (1396).
  const file = "healthy.client.pcap";
  const m = entry(file);
  const original = new Uint8Array(readFileSync(CAP(file)));
  const last = recordCount(original) - 1;
  /** A copy of the client's FIN written after the final ACK, `seconds` after it. */
  const finAgain = (seconds: number) =>
    shiftTimestamps(swapAdjacent(duplicateRecords(original, [last - 1]), last), last, seconds);

  it("the capture ends with both FINs and the final ACK", () => {
    const recs = fieldsOf(original);
    expect(recs.slice(-3).map((r) => [r.fromClient, r.flags & (FIN | ACK)])).toEqual([
      [false, FIN | ACK],
      [true, FIN | ACK],
      [false, ACK],
    ]);
  });

  // Both FINs acknowledged: the connection is whole until DONE_QUIET (0.2 s) without a segment;
  // then for AFTER_CLOSE_SECONDS (10 s) what comes is a straggler.
  for (const [seconds, afterClose] of [
    [0.1, undefined],
    [0.5, 1],
    [3, 1],
    [9.5, 1],
  ] as const) {
    it(`the client's FIN again ${seconds} s after the close: one connection, afterClose ${afterClose}`, async () => {
      const r = await ofBytes(finAgain(seconds));
      expect(r.connections).toHaveLength(1);
      expect(r.inputs[0]!.afterClose).toBe(afterClose);
      const c = r.connections[0]!;
      expect(c.client.packets + c.server.packets).toBe(m.tcpPackets + (afterClose ? 0 : 1));
      // A copy of the record (same IP ID): the same packet captured twice while the connection is whole.
      expect([c.client.retransmissions, c.capture.duplicates]).toEqual([0, afterClose ? 0 : 1]);
      expect(ids(loud(r.findings))).toEqual([]);
    });
  }

  it("without the final ACK (the capture missed it) the connection waits CLOSE_LINGER (1 s) after the close: the FIN again 0.5 s later is its own", async () => {
    const r = await ofBytes(removeRecords(finAgain(0.5), [last]));
    expect(r.connections).toHaveLength(1);
    expect(r.inputs[0]!.afterClose).toBeUndefined();
    const c = r.connections[0]!;
    expect(c.client.packets + c.server.packets).toBe(m.tcpPackets);
    expect([c.client.retransmissions, c.capture.duplicates]).toEqual([0, 1]);
    expect(ids(loud(r.findings))).toEqual([]);
  });

  it("10.5 s after the close it is past the straggler window: a connection of its own, as before", async () => {
    const r = await ofBytes(finAgain(10.5));
    expect(r.connections.map((c) => [c.handshake, c.client.packets + c.server.packets])).toEqual([
      ["complete", m.tcpPackets],
      ["none", 1],
    ]);
    expect(r.inputs[0]!.afterClose).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Keepalives and zero-window probes.

describe("keepalives: one connection, however long the silence, and never a retransmission", () => {
  for (const file of ["keepalive.client.pcap", "keepalive.server.pcap"]) {
    const m = entry(file);
    const mc = m.connections[0]!;
    const original = new Uint8Array(readFileSync(CAP(file)));
    const recs = fieldsOf(original);
    const clientIsn = recs[0]!.seq;

    it(`${file}: the kernel sent ${m.counters!.client.TCPKeepAlive} keepalives (tshark: ${mc.client.analysis.keepAlive}), none a retransmission`, async () => {
      expect(m.counters!.client.TCPKeepAlive).toBe(mc.client.analysis.keepAlive);
      const r = await ofFile(file);
      expect(r.connections).toHaveLength(1);
      const c = r.connections[0]!;
      expect(c.client.packets + c.server.packets).toBe(m.tcpPackets);
      expect([c.client.retransmissions, c.server.retransmissions]).toEqual([
        m.counters!.client.RetransSegs,
        m.counters!.server.RetransSegs,
      ]);
    });

    // The pauses of 2 s before each keepalive stretched past the idle timeout (300 s) and to
    // Linux's default keepalive time (net.ipv4.tcp_keepalive_time = 7200 s).
    for (const gap of [360, 7200]) {
      it(`${file}: keepalives ${gap} s apart keep one connection with its shifts`, async () => {
        const { bytes, stretched } = stretchGaps(original, 1.5, gap);
        // The stretched pauses end at the keepalives: the client's pure ACKs at its ISN, one
        // below its next sequence number (it sent no data).
        expect(stretched).toHaveLength(mc.client.analysis.keepAlive);
        for (const i of stretched) {
          expect(recs[i]).toMatchObject({ fromClient: true, flags: ACK, len: 0, seq: clientIsn });
        }
        const r = await ofBytes(bytes);
        expect(r.connections).toHaveLength(1);
        const c = r.connections[0]!;
        expect([c.handshake, c.scaling, c.client.shift, c.server.shift]).toEqual([
          "complete",
          "on",
          mc.syn!.wscale,
          mc.synAck!.wscale,
        ]);
        expect(c.client.packets + c.server.packets).toBe(m.tcpPackets);
        const p = parsePcap(bytes);
        expect(c.durationS).toBeCloseTo(Number(timestamp(p, p.records.length - 1) - timestamp(p, 0)) / 1e6, 5);
        expect([c.client.retransmissions, c.server.retransmissions]).toEqual([0, 0]);
        expect(r.findings.filter((f) => f.id === "scale-unknown")).toEqual([]);
        expect(ids(loud(r.findings))).toEqual([]);
      });
    }
  }
});

describe("zero-window probes are counted as probes, not retransmissions", () => {
  const files = FILES.filter((f) => f.run === "zero-window" || f.run === "zero-window-upload");

  it("four captures, and tshark's zero_window_probe is 0 on all: Linux probes are len 0 (tshark: keep-alive)", () => {
    expect(files.map((f) => f.file).sort()).toEqual([
      "zero-window-upload.client.pcap",
      "zero-window-upload.server.pcap",
      "zero-window.client.pcap",
      "zero-window.server.pcap",
    ]);
    for (const f of files)
      for (const c of f.connections)
        expect(c.client.analysis.zeroWindowProbe + c.server.analysis.zeroWindowProbe).toBe(0);
  });

  for (const m of files) {
    it(`${m.file}: the prober's zero-window probes are probes (tshark: keep-alive; kernel: TCPWinProbe), not retransmissions`, async () => {
      const r = await ofFile(m.file);
      for (const { mc, c } of matched(r.connections, m)) {
        // The side that advertised win 0 is probed by the other.
        const closed = mc.client.zeroWindows > 0 ? "client" : "server";
        const prober = closed === "client" ? "server" : "client";
        expect(mc[closed].zeroWindows).toBeGreaterThan(0);
        const probes = mc[prober].analysis.keepAlive;
        expect(probes).toBeGreaterThan(0);
        if (m.counters) expect(m.counters[prober].TCPWinProbe).toBe(probes);
        const ours: EndpointSummary = c[closed];
        expect(ours.zeroWindows.advertisements).toBe(mc[closed].zeroWindows);
        expect(ours.zeroWindows.probes).toBe(probes);
        // Probes are not retransmissions: the prober's count is tshark's (and its kernel's).
        const retrans = tsharkRetransmissions(mc[prober], prober === "client" ? mc.syn : mc.synAck);
        expect(c[prober].retransmissions).toBe(retrans);
        if (m.counters) expect(retrans).toBe(m.counters[prober].RetransSegs);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 6. The two accusations of a box that tracks windows, on every capture.

describe("window-enforcing-middlebox never fires on a lab capture; scale-rewritten only where the SYN was rewritten", () => {
  for (const m of FILES) {
    const healthy = HEALTHY_RUNS.includes(m.run ?? "");
    it(`${m.file}: no window-enforcing-middlebox${healthy ? ", no scale-rewritten" : ""}`, async () => {
      const r = await ofFile(m.file);
      expect(r.findings.filter((f) => f.id === "window-enforcing-middlebox")).toEqual([]);
      if (healthy) expect(r.findings.filter((f) => f.id === "scale-rewritten")).toEqual([]);
    });
  }
});
