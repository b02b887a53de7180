import { beforeEach, describe, expect, it } from "vitest";
import type { Connection } from "../src/connections/connection.js";
import { type ConnectionSummary, optionKind, optionName, summarize } from "../src/connections/summary.js";
import { ConnectionTracker } from "../src/connections/tracker.js";
import { evaluateFindings } from "../src/findings/evaluate.js";
import { makeSegment, resetFrames, type SegmentSpec } from "./helpers/segments.js";

interface Run {
  summaries: ConnectionSummary[];
  conns: Connection[];
  tracker: ConnectionTracker;
  finalisedAt: number[];
}

function track(specs: SegmentSpec[], idleTimeout = 300): Run {
  const run: Run = { summaries: [], conns: [], tracker: undefined as unknown as ConnectionTracker, finalisedAt: [] };
  let i = 0;
  run.tracker = new ConnectionTracker({
    idleTimeout,
    onFinal(conn) {
      run.conns.push(conn);
      run.summaries.push(summarize(conn));
      run.finalisedAt.push(i);
    },
  });
  for (const spec of specs) {
    run.tracker.segment(makeSegment(spec));
    i++;
  }
  run.tracker.flush();
  run.summaries.sort((a, b) => a.id.localeCompare(b.id));
  return run;
}

const C = "1.2.3.4:42501";
const S = "203.16.234.85:80";

/** SPEC section 10, the seed transcript, as segments. */
const SEED: SegmentSpec[] = [
  { from: C, to: S, flags: "S", seq: 0, win: 5840, mss: 1460, sackOK: true, ts: [94318, 0], wscale: 6 },
  { from: S, to: C, flags: "S.", seq: 0, ack: 1, win: 5840, mss: 1460, wscale: 2 },
  { from: C, to: S, flags: ".", seq: 1, ack: 1, win: 92 },
  { from: C, to: S, flags: "P.", seq: 1, ack: 1, win: 92, len: 351 },
  { from: S, to: C, flags: ".", seq: 1, ack: 352, win: 1608 },
];

beforeEach(() => resetFrames());

describe("RFC 7323 scaling state", () => {
  it("the seed excerpt: client shift 6, server shift 2, win 92 is 5888 bytes", () => {
    const run = track(SEED);
    const [c] = run.summaries;
    expect(c).toBeDefined();
    expect(c!.handshake).toBe("complete");
    expect(c!.scaling).toBe("on");
    expect(c!.client).toMatchObject({
      ip: "1.2.3.4",
      port: 42501,
      wscaleOffered: 6,
      shift: 6,
      maxWindowRaw: 92,
      maxWindow: 5888,
    });
    expect(c!.server).toMatchObject({
      ip: "203.16.234.85",
      port: 80,
      wscaleOffered: 2,
      shift: 2,
      maxWindowRaw: 1608,
      maxWindow: 6432,
    });
    expect(c!.client.dataBytes).toBe(351);
    expect(c!.client.largestSegment).toBe(351);
    expect(c!.client.maxInFlight).toBe(351);
    expect(c!.client.syn).toMatchObject({ window: 5840, mss: 1460, sackPermitted: true, timestamps: true });
    // The excerpt explains the window and says it cannot prove or exclude a rewrite.
    const findings = evaluateFindings(run.conns[0]!, c!);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([["scale-unverified", "info"]]);
    expect(findings[0]!.message).toContain("`win 92` means 92 << 6 = 5888 bytes, not 92");
    expect(findings[0]!.message).toContain("the server sent no data towards the client");
  });

  it("scaling is off when the SYN-ACK carries no option, and both shifts are 0", () => {
    const specs = structuredClone(SEED);
    delete specs[1]!.wscale;
    const [c] = track(specs).summaries;
    expect(c!.scaling).toBe("off");
    expect(c!.client).toMatchObject({ wscaleOffered: 6, shift: 0, maxWindow: 92 });
    expect(c!.server).toMatchObject({ wscaleOffered: null, shift: 0, maxWindow: 1608 });
  });

  it("a SYN whose options were cut by the snaplen leaves the offer unknown, never absent", () => {
    const specs = structuredClone(SEED);
    specs[0] = { from: C, to: S, flags: "S", seq: 0, win: 5840, mss: 1460, truncatedOptions: true };
    const [c] = track(specs).summaries;
    expect(c!.client.wscaleOffered).toBe("unknown");
    expect(c!.scaling).toBe("unknown");
    expect(c!.client.shift).toBeNull();
    expect(c!.client.maxWindow).toBeNull();
    expect(c!.client.maxWindowRaw).toBe(92);
  });

  it("a mid-stream capture guesses roles by port and never presents a raw window as the real one", () => {
    const [c] = track(SEED.slice(2)).summaries;
    expect(c!.handshake).toBe("none");
    expect(c!.rolesGuessed).toBe(true);
    expect(c!.server.port).toBe(80);
    expect(c!.client.wscaleOffered).toBe("unknown");
    expect(c!.client.maxWindow).toBeNull();
    expect(c!.client.maxWindowRaw).toBe(92);
  });

  it("a shift above 14 is used as 14 and reported", () => {
    const specs = structuredClone(SEED);
    specs[0]!.wscale = 15;
    const run = track(specs);
    expect(run.summaries[0]!.client).toMatchObject({ wscaleOffered: 15, shift: 14, maxWindow: 92 * 2 ** 14 });
    const findings = evaluateFindings(run.conns[0]!, run.summaries[0]!);
    expect(findings.map((f) => f.id)).toEqual(["scale-unverified", "wscale-out-of-range"]);
    expect(findings[1]!.evidence).toEqual([{ frame: 1, note: "SYN carries wscale 15" }]);
  });

  it("a window-scale option on a non-SYN segment is ignored and reported", () => {
    const specs = structuredClone(SEED);
    specs[2]!.wscale = 3;
    const run = track(specs);
    expect(run.summaries[0]!.client.shift).toBe(6);
    const findings = evaluateFindings(run.conns[0]!, run.summaries[0]!);
    expect(findings.map((f) => [f.id, f.evidence[0]!.frame])).toEqual([
      ["scale-unverified", 3],
      ["wscale-on-non-syn", 3],
    ]);
  });

  it("a SYN-ACK with the option answering a SYN without it is an RFC violation; scaling stays off", () => {
    const specs = structuredClone(SEED);
    delete specs[0]!.wscale;
    const run = track(specs);
    expect(run.summaries[0]!.scaling).toBe("off");
    expect(run.summaries[0]!.server.shift).toBe(0);
    expect(evaluateFindings(run.conns[0]!, run.summaries[0]!).map((f) => f.id)).toEqual([
      "wscale-on-synack-without-syn",
    ]);
  });

  it("the SYN window is never scaled", () => {
    const [c] = track(SEED.slice(0, 2)).summaries;
    expect(c!.client.maxWindowRaw).toBeNull();
    expect(c!.client.syn!.window).toBe(5840);
  });
});

describe("connection lifecycle", () => {
  const syn = (seq: number, wscale: number | undefined, time: number): SegmentSpec => ({
    from: C,
    to: S,
    flags: "S",
    seq,
    win: 64240,
    wscale,
    time,
  });

  it("a retransmitted SYN with the same ISN is the same connection; the last SYN before the answer counts", () => {
    const run = track([
      syn(1000, 10, 0),
      syn(1000, undefined, 1), // Linux drops options on late retries
      { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 7, time: 1.02 },
      { from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 502, time: 1.04 },
    ]);
    expect(run.summaries).toHaveLength(1);
    const c = run.summaries[0]!;
    expect(c.client.syn!.retransmits).toBe(1);
    expect(c.client.syn!.optionsChanged).toBe(true);
    expect(c.server.syn!.optionsChanged).toBe(false);
    expect(c.client.wscaleOffered).toBeNull();
    expect(c.scaling).toBe("off");
    expect(c.handshakeRttMs).toBe(40);
  });

  it("a SYN sent again with the same options is counted, its options unchanged", () => {
    const run = track([syn(1000, 10, 0), syn(1000, 10, 1), syn(1000, 10, 3)]);
    expect(run.summaries[0]!.client.syn).toMatchObject({ retransmits: 2, optionsChanged: false, wscale: 10 });
  });

  it("a timestamp echo times the half round trip from the first TSval, even a TSval of 1", () => {
    const run = track([
      { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: 7, ts: [1, 0], time: 0 },
      { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 7, ts: [500, 1], time: 0.03 },
    ]);
    const server = run.conns[0]!.server;
    expect([server.halfRttSamples, server.halfRttMin]).toEqual([1, 0.03]);
  });

  it("a new SYN after FIN/FIN starts a new connection on the same 4-tuple", () => {
    const run = track([
      syn(1000, 7, 0),
      { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 7, time: 0.01 },
      { from: C, to: S, flags: "F.", seq: 1001, ack: 5001, win: 502, time: 0.02 },
      { from: S, to: C, flags: "F.", seq: 5001, ack: 1002, win: 509, time: 0.03 },
      { from: C, to: S, flags: ".", seq: 1002, ack: 5002, win: 502, time: 0.04 },
      syn(900_000, 2, 2),
      { from: S, to: C, flags: "S.", seq: 70_000, ack: 900_001, win: 65160, time: 2.01 },
    ]);
    expect(run.summaries.map((s) => [s.id, s.client.wscaleOffered, s.scaling])).toEqual([
      ["c1", 7, "on"],
      ["c2", 2, "off"],
    ]);
  });

  it("a SYN with a different ISN while open is port reuse: a new connection", () => {
    const run = track([syn(1000, 7, 0), syn(2_000_000, 8, 0.5)]);
    expect(run.summaries.map((s) => s.client.wscaleOffered)).toEqual([7, 8]);
  });

  it("simultaneous open: both SYNs count as the two offers", () => {
    const run = track([
      syn(1000, 7, 0),
      { from: S, to: C, flags: "S", seq: 5000, win: 65160, wscale: 9, time: 0.001 },
      { from: C, to: S, flags: "S.", seq: 1000, ack: 5001, win: 64240, wscale: 7, time: 0.002 },
      { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 9, time: 0.003 },
    ]);
    expect(run.summaries).toHaveLength(1);
    expect(run.summaries[0]).toMatchObject({ scaling: "on", client: { shift: 7 }, server: { shift: 9 } });
  });

  it("finalises idle connections during the capture, so memory follows live connections", () => {
    const specs: SegmentSpec[] = [];
    for (let i = 0; i < 50; i++) {
      specs.push({
        from: `198.18.0.${i + 1}:40000`,
        to: "198.19.0.1:443",
        flags: "S",
        seq: i,
        win: 64240,
        wscale: 7,
        time: i * 100,
      });
    }
    const run = track(specs, 300);
    expect(run.summaries).toHaveLength(50);
    // Connection 1 (t=0) is finalised at the first sweep after t=300: while segment 4 (t=400) is handled.
    expect(run.finalisedAt[0]).toBe(4);
    expect(run.finalisedAt.filter((at) => at < 50)).toHaveLength(46);
  });

  it("closed connections linger only briefly, then are freed", () => {
    const run = track([
      syn(1000, 7, 0),
      { from: S, to: C, flags: "R.", seq: 0, ack: 1001, win: 0, time: 0.001 },
      { from: "198.18.9.9:1", to: S, flags: "S", seq: 1, win: 1, time: 20 },
    ]);
    expect(run.finalisedAt[0]).toBe(2);
  });

  // After CLOSE_LINGER the connection is reported; for AFTER_CLOSE_SECONDS its stragglers are only counted.
  const closed: SegmentSpec[] = [
    syn(1000, 7, 0),
    { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 7, time: 0.01 },
    { from: C, to: S, flags: "F.", seq: 1001, ack: 5001, win: 502, time: 0.02 },
    { from: S, to: C, flags: "F.", seq: 5001, ack: 1002, win: 509, time: 0.03 },
    { from: C, to: S, flags: ".", seq: 1002, ack: 5002, win: 502, time: 0.04 },
  ];
  it.each([
    ["the server's FIN again", 1, 1, { from: S, to: C, flags: "F.", seq: 5001, ack: 1002, win: 509 }],
    ["a RST from the client", 1, 1, { from: C, to: S, flags: "R", seq: 1002, win: 0 }],
    ["a SYN (the 4-tuple reused)", 2, undefined, syn(9000, 7, 0)],
    [
      "data in another sequence space",
      2,
      undefined,
      { from: C, to: S, flags: ".", seq: 1002 + 2 ** 30, ack: 5002, len: 100 },
    ],
  ] as const)("%s 3 s after the close: %i connection(s), absorbed: %s", (_what, connections, absorbed, spec) => {
    const run = track([...closed, { ...spec, time: 3 } as SegmentSpec]);
    expect(run.summaries).toHaveLength(connections);
    expect(run.tracker.afterClose.absorbed[0]).toBe(absorbed);
    expect(run.summaries[0]!.client.packets + run.summaries[0]!.server.packets).toBe(5);
  });

  it("new data after a RST that did not end the connection (RFC 5961 challenge ACK, an injected RST) keeps it whole", () => {
    const data = (i: number): SegmentSpec => ({
      from: S,
      to: C,
      flags: ".",
      seq: 5001 + i * 1000,
      ack: 1001,
      win: 509,
      len: 1000,
      time: 0.1 + i * 0.5,
    });
    const run = track([
      ...closed.slice(0, 2),
      { from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 502, time: 0.02 },
      { from: S, to: C, flags: "R", seq: 5001 + 99_999, win: 0, time: 0.05 },
      ...[0, 1, 2, 3, 4, 5, 6].map(data),
    ]);
    expect(run.summaries).toHaveLength(1);
    expect(run.summaries[0]!.server.dataBytes).toBe(7000);
    expect(run.tracker.afterClose.absorbed).toEqual([]);
  });
});

describe("windows, data and timing", () => {
  const handshake = (cisn: number, sisn: number): SegmentSpec[] => [
    { from: C, to: S, flags: "S", seq: cisn, win: 64240, wscale: 7, mss: 1460, time: 0 },
    { from: S, to: C, flags: "S.", seq: sisn, ack: cisn + 1, win: 65160, wscale: 7, mss: 1460, time: 0.02 },
    { from: C, to: S, flags: ".", seq: cisn + 1, ack: sisn + 1, win: 502, time: 0.04 },
  ];

  it("sequence numbers wrap at 2^32 without phantom retransmissions", () => {
    const sisn = 0xffff_f000;
    const specs = handshake(10, sisn);
    let seq = sisn + 1;
    for (let i = 0; i < 6; i++) {
      specs.push({ from: S, to: C, flags: ".", seq: seq >>> 0, ack: 11, win: 509, len: 1448, time: 0.05 + i * 0.001 });
      seq += 1448;
    }
    specs.push({ from: C, to: S, flags: ".", seq: 11, ack: seq >>> 0, win: 502, time: 0.07 });
    const [c] = track(specs).summaries;
    expect(c!.server.dataBytes).toBe(6 * 1448);
    expect(c!.server.retransmissions).toBe(0);
    expect(c!.server.maxInFlight).toBe(6 * 1448);
  });

  it("counts retransmissions and bytes in flight against the highest ack", () => {
    const specs = handshake(10, 5000);
    specs.push(
      { from: S, to: C, flags: ".", seq: 5001, ack: 11, win: 509, len: 1000, time: 0.05 },
      { from: S, to: C, flags: ".", seq: 6001, ack: 11, win: 509, len: 1000, time: 0.051 },
      { from: C, to: S, flags: ".", seq: 11, ack: 6001, win: 502, time: 0.07 },
      { from: S, to: C, flags: ".", seq: 6001, ack: 11, win: 509, len: 1000, time: 0.3 },
      { from: S, to: C, flags: ".", seq: 7001, ack: 11, win: 509, len: 500, time: 0.31 },
    );
    const [c] = track(specs).summaries;
    expect(c!.server).toMatchObject({ dataBytes: 3500, retransmissions: 1, maxInFlight: 2000, largestSegment: 1000 });
    expect(c!.rttMs).toBe(40);
    expect(c!.bulkDirection).toBe("server-to-client");
    // 2500 new bytes between t=0.05 and t=0.31; ceiling: client's 502 << 7 bytes per 40 ms.
    expect(c!.throughputBps).toBe(Math.round(2500 / 0.26));
    expect(c!.ceilingBps).toBe(Math.round((502 * 128) / 0.04));
  });

  it("zero-window episodes: count, total stall time and probes", () => {
    const specs = handshake(10, 5000);
    specs.push(
      { from: S, to: C, flags: ".", seq: 5001, ack: 11, win: 509, len: 1000, time: 1 },
      { from: C, to: S, flags: ".", seq: 11, ack: 6001, win: 0, time: 1.1 },
      { from: S, to: C, flags: ".", seq: 6001, ack: 11, win: 509, len: 1, time: 1.5 },
      { from: C, to: S, flags: ".", seq: 11, ack: 6001, win: 0, time: 1.6 },
      { from: C, to: S, flags: ".", seq: 11, ack: 6001, win: 100, time: 2.1 },
      { from: C, to: S, flags: ".", seq: 11, ack: 6001, win: 0, time: 3 },
      { from: C, to: S, flags: ".", seq: 11, ack: 6001, win: 0, time: 3.5 },
    );
    const [c] = track(specs).summaries;
    expect(c!.client.zeroWindows).toEqual({ advertisements: 4, episodes: 2, seconds: 1.5, probes: 1 });
  });

  it("handshake RTT is SYN to the ACK of the SYN-ACK at the capture point", () => {
    const [c] = track(handshake(10, 5000)).summaries;
    expect(c!.handshakeRttMs).toBe(40);
    expect(c!.durationS).toBe(0.04);
  });

  it("IPv6 endpoints are printed in RFC 5952 form", () => {
    const [c] = track([
      { from: "[2001:db8:0:0:1:0:0:2]:41000", to: "[2001:db8::1]:80", flags: "S", seq: 1, win: 64800, wscale: 10 },
    ]).summaries;
    expect(c!.client.ip).toBe("2001:db8::1:0:0:2");
    expect(c!.server.ip).toBe("2001:db8::1");
  });
});

describe("option names in the report", () => {
  it("optionKind() undoes optionName(), named kinds and opt-N alike (compare rebuilds SYNs from names)", () => {
    expect([0, 1, 2, 3, 4, 5, 8, 30, 34].map(optionName)).toEqual([
      "eol",
      "nop",
      "mss",
      "wscale",
      "sackOK",
      "sack",
      "TS",
      "mptcp",
      "tfo",
    ]);
    for (const kind of [0, 1, 2, 3, 4, 5, 8, 30, 34, 6, 77, 253]) expect(optionKind(optionName(kind))).toBe(kind);
    expect(optionName(77)).toBe("opt-77");
  });
});

describe("what the capture got wrong is not what the network did", () => {
  const handshake = (): SegmentSpec[] => [
    { from: C, to: S, flags: "S", seq: 10, win: 64240, wscale: 7, mss: 1460, time: 0 },
    { from: S, to: C, flags: "S.", seq: 5000, ack: 11, win: 65160, wscale: 7, mss: 1460, time: 0.02 },
    { from: C, to: S, flags: ".", seq: 11, ack: 5001, win: 502, time: 0.04 },
  ];
  const data = (seq: number, time: number, ipId = 0): SegmentSpec => ({
    from: S,
    to: C,
    flags: ".",
    seq,
    ack: 11,
    win: 509,
    len: 1000,
    time,
    ipId,
  });
  const ack = (n: number, time: number, win = 502): SegmentSpec => ({
    from: C,
    to: S,
    flags: ".",
    seq: 11,
    ack: n,
    win,
    time,
  });

  it("the same packet captured twice (same IP ID) is counted once: no retransmission", () => {
    const [c] = track([...handshake(), data(5001, 0.05, 77), data(5001, 0.05, 77), ack(6001, 0.07)]).summaries;
    expect(c!.server).toMatchObject({ dataBytes: 1000, retransmissions: 0, packets: 3 });
    expect(c!.capture).toMatchObject({ duplicates: 1, quality: "fair" });
  });

  it("a real retransmission (another IP ID, much later) is not a duplicate", () => {
    const [c] = track([...handshake(), data(5001, 0.05, 77), data(5001, 0.35, 78), ack(6001, 0.37)]).summaries;
    expect(c!.server.retransmissions).toBe(1);
    expect(c!.capture.duplicates).toBe(0);
  });

  it("an ACK stored before the data it acknowledges: reordered records, nothing missed, nothing retransmitted", () => {
    const [c] = track([...handshake(), ack(6001, 0.05), data(5001, 0.0501)]).summaries;
    expect(c!.server.retransmissions).toBe(0);
    expect(c!.capture).toMatchObject({ uncapturedBytes: 0, uncapturedGaps: 0, outOfOrder: 1 });
  });

  it("data acknowledged but never captured is a capture gap, and bytes in flight are not counted across it", () => {
    const specs = [...handshake(), data(5001, 0.05), data(7001, 0.051), data(8001, 0.052), ack(9001, 0.07)];
    specs.push(data(9001, 0.08), ack(10001, 0.1));
    const [c] = track(specs).summaries;
    // 6001..7001 was never captured: ACKed anyway.
    expect(c!.capture).toMatchObject({ uncapturedBytes: 1000, uncapturedGaps: 1, quality: "fair" });
    expect(c!.server.retransmissions).toBe(0);
    // While the gap was open nothing was sampled; after the ACK passed it, 1000 bytes were in flight.
    expect(c!.server.maxInFlight).toBe(1000);
  });

  it("a gap filled within an RTT is reordering (GRO, multi-queue capture), after it a retransmission", () => {
    const reordered = track([...handshake(), data(6001, 0.05), data(5001, 0.051), ack(7001, 0.07)]).summaries[0]!;
    expect(reordered.server.retransmissions).toBe(0);
    expect(reordered.capture.outOfOrder).toBe(1);
    // The handshake RTT is 40 ms: a fill 300 ms later is the sender's retransmission of a loss upstream.
    const lost = track([...handshake(), data(6001, 0.05), data(5001, 0.35), ack(7001, 0.37)]).summaries[0]!;
    expect(lost.server.retransmissions).toBe(1);
    expect(lost.capture.outOfOrder).toBe(0);
  });

  it("keepalives (0 or 1 byte one below the next sequence number) are not retransmissions", () => {
    const specs = [...handshake(), data(5001, 0.05), ack(6001, 0.07)];
    specs.push({ from: S, to: C, flags: ".", seq: 6000, ack: 11, win: 509, len: 0, time: 60 });
    specs.push({ from: S, to: C, flags: ".", seq: 6000, ack: 11, win: 509, len: 1, time: 120 });
    const run = track(specs);
    expect(run.summaries[0]!.server.retransmissions).toBe(0);
    expect(run.conns[0]!.server.keepalives).toBe(2);
  });

  it("zero-window probes as Linux sends them (empty, one below) and as Windows does (one new byte)", () => {
    const specs = [...handshake(), data(5001, 0.05), ack(6001, 0.07, 0)];
    specs.push({ from: S, to: C, flags: ".", seq: 6000, ack: 11, win: 509, len: 0, time: 0.3 });
    specs.push({ from: S, to: C, flags: ".", seq: 6001, ack: 11, win: 509, len: 1, time: 0.8 });
    specs.push(ack(6001, 0.81, 0));
    const [c] = track(specs).summaries;
    expect(c!.client.zeroWindows.probes).toBe(2);
    expect(c!.server.retransmissions).toBe(0);
  });
});

describe("idle connections and keepalives", () => {
  const est = (t: number): SegmentSpec[] => [
    { from: C, to: S, flags: "S", seq: 10, win: 64240, wscale: 7, mss: 1460, time: t },
    { from: S, to: C, flags: "S.", seq: 5000, ack: 11, win: 65160, wscale: 7, mss: 1460, time: t + 0.02 },
    { from: C, to: S, flags: ".", seq: 11, ack: 5001, win: 502, time: t + 0.04 },
    { from: C, to: S, flags: "P.", seq: 11, ack: 5001, win: 502, len: 100, time: t + 0.05 },
    { from: S, to: C, flags: ".", seq: 5001, ack: 111, win: 509, time: t + 0.07 },
  ];

  it("keepalives every 6 minutes keep one connection, with its negotiated shifts, past the 300 s idle timeout", () => {
    const specs = est(0);
    for (let i = 1; i <= 3; i++) {
      specs.push({ from: C, to: S, flags: ".", seq: 110, ack: 5001, win: 502, time: i * 360 });
      specs.push({ from: S, to: C, flags: ".", seq: 5001, ack: 111, win: 509, time: i * 360 + 0.02 });
    }
    specs.push({ from: C, to: S, flags: "P.", seq: 111, ack: 5001, win: 502, len: 10, time: 1500 });
    // Another connection's traffic meanwhile drives the sweeps.
    for (let t = 10; t < 1500; t += 10)
      specs.push({ from: "198.18.5.5:1000", to: S, flags: ".", seq: t, ack: 1, win: 1, time: t });
    const run = track(specs, 300);
    const mine = run.summaries.filter((s) => s.client.port === 42501);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ handshake: "complete", scaling: "on", client: { shift: 7, dataBytes: 110 } });
    expect(run.conns.find((c) => c.client.port === 42501)!.client.keepalives).toBe(3);
  });

  it("a connection never established is still finalised at the idle timeout", () => {
    const specs: SegmentSpec[] = [{ from: C, to: S, flags: "S", seq: 10, win: 64240, wscale: 7, time: 0 }];
    specs.push({ from: C, to: S, flags: "S", seq: 10, win: 64240, wscale: 7, time: 400 });
    specs.push({ from: "198.18.5.5:1000", to: S, flags: ".", seq: 1, ack: 1, win: 1, time: 401 });
    const run = track(specs, 300);
    expect(run.finalisedAt[0]).toBe(1);
  });

  it("after a long silence, traffic in another sequence space on the same 4-tuple is another connection", () => {
    const specs = est(0);
    specs.push({ from: C, to: S, flags: "P.", seq: 3_000_000_000, ack: 77, win: 502, len: 10, time: 1000 });
    specs.push({ from: "198.18.5.5:1000", to: S, flags: ".", seq: 1, ack: 1, win: 1, time: 999 });
    const run = track(specs, 300);
    expect(run.summaries.filter((s) => s.client.port === 42501 || s.server.port === 42501)).toHaveLength(2);
  });
});
