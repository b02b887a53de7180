/**
 * What each segment does to a connection's per-side counts, at the boundaries of each rule:
 * window full (Wireshark's), zero windows and their probes, keepalives, the raw window range, the
 * windows that fell as data arrived (each bounds the shift), and the handshake's end.
 */
import { describe, expect, it } from "vitest";
import { type Connection, ConnectionList } from "../src/connections/connection.js";
import { summarize } from "../src/connections/summary.js";
import { type SegmentSpec, trackConnection } from "./helpers/segments.js";

const C = "198.18.1.2:40000";
const S = "198.18.2.2:443";

/** SYN, SYN-ACK (both wscale 7, server ISN `isn`), and the client's ACK with raw window `win`. */
const handshake = (win: number, isn = 5000): SegmentSpec[] => [
  { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: 7, time: 0, frame: 1 },
  { from: S, to: C, flags: "S.", seq: isn, ack: 1001, win: 65160, wscale: 7, time: 0.01, frame: 2 },
  { from: C, to: S, flags: ".", seq: 1001, ack: (isn + 1) >>> 0, win, time: 0.02, frame: 3 },
];
const data = (seq: number, len: number, time: number, more: Partial<SegmentSpec> = {}): SegmentSpec => ({
  from: S,
  to: C,
  flags: "P.",
  seq: seq >>> 0,
  ack: 1001,
  win: 509,
  len,
  time,
  ...more,
});
const ack = (a: number, win: number, time: number, more: Partial<SegmentSpec> = {}): SegmentSpec => ({
  from: C,
  to: S,
  flags: ".",
  seq: 1001,
  ack: a >>> 0,
  win,
  time,
  ...more,
});

describe("window full, as Wireshark flags it", () => {
  // The client's window: raw 10 << 7 = 1280 bytes from ack 5001, so the edge is 6281.
  const full = (segs: SegmentSpec[], isn?: number) =>
    trackConnection([...handshake(10, isn), ...segs]).server.windowFull;

  it("data ending exactly at the peer's last ack + raw window << its shift", () => {
    expect(full([data(5001, 1280, 0.03)])).toBe(1);
    expect(full([data(5001, 1279, 0.03)])).toBe(0);
    expect(full([data(5001, 1000, 0.03), data(6001, 280, 0.04)])).toBe(1);
    expect(full([data(5001, 1281, 0.03)])).toBe(0);
  });

  it("not a segment that also carries FIN", () => {
    expect(full([data(5001, 1280, 0.03, { flags: "FP." })])).toBe(0);
  });

  it("across the wrap of sequence space", () => {
    expect(full([data(0xffff_ff01, 1280, 0.03)], 0xffff_ff00)).toBe(1);
    expect(full([data(0xffff_ff01, 1279, 0.03)], 0xffff_ff00)).toBe(0);
  });

  it("the peer's latest window counts, whatever segment carried it", () => {
    expect(full([ack(5001, 20, 0.025), data(5001, 1280, 0.03)])).toBe(0);
    expect(full([ack(5001, 20, 0.025), data(5001, 2560, 0.03)])).toBe(1);
  });
});

describe("zero windows", () => {
  const run = (segs: SegmentSpec[]) => trackConnection([...handshake(10), ...segs]);

  it("advertisements, episodes, their seconds (the last one closed at the end of the capture) and the first frame", () => {
    const c = run([
      ack(5001, 0, 1, { frame: 10 }),
      ack(5001, 0, 1.5, { frame: 11 }),
      ack(5001, 10, 3, { frame: 12 }),
      ack(5001, 0, 4, { frame: 13 }),
      data(5001, 1, 5, { frame: 14 }),
    ]).client;
    expect([c.zeroWindows, c.zeroWindowEpisodes, c.zeroWindowSeconds, c.zeroWindowFirstFrame]).toEqual([3, 2, 3, 10]);
    expect(run([ack(5001, 20, 1)]).client.zeroWindowSeconds).toBe(0);
  });

  it("only one new byte at the edge is a probe: not more bytes, not a byte beyond a gap, not into an open window", () => {
    const probes = (segs: SegmentSpec[]) => run([data(5001, 100, 0.03), ...segs]).client.zeroWindowProbes;
    expect(probes([ack(5101, 0, 0.05), data(5101, 1, 0.3)])).toBe(1);
    expect(probes([ack(5101, 0, 0.05), data(5101, 2, 0.3)])).toBe(0);
    expect(probes([ack(5101, 0, 0.05), data(5102, 1, 0.3)])).toBe(0);
    expect(probes([ack(5101, 10, 0.05), data(5101, 1, 0.3)])).toBe(0);
  });

  it("probes into it: one new byte at the edge (Windows, BSD), or an empty segment one below (Linux); else keepalives", () => {
    const segs = [
      data(5001, 100, 0.03),
      ack(5101, 0, 0.05),
      data(5101, 1, 0.3), // a new byte pushed into the zero window
      data(5101, 0, 0.6, { flags: "." }), // one below the next sequence number, empty
      ack(5101, 10, 0.7),
      data(5101, 0, 10, { flags: "." }), // the same, with the window open: a keepalive
    ];
    const c = run(segs);
    expect([c.client.zeroWindowProbes, c.server.keepalives, c.server.retransmissions]).toEqual([2, 1, 0]);
  });
});

describe("keepalives and retransmissions one below the next sequence number", () => {
  const run = (segs: SegmentSpec[]) =>
    trackConnection([...handshake(502), data(5001, 100, 0.03), ack(5101, 502, 0.05), ...segs]).server;

  it("0 or 1 byte one below the next sequence number is a keepalive; 2 bytes are data sent again", () => {
    const s = run([data(5100, 0, 10, { flags: "." }), data(5100, 1, 20)]);
    expect([s.keepalives, s.retransmissions]).toEqual([2, 0]);
    const r = run([data(5099, 2, 10)]);
    expect([r.keepalives, r.retransmissions, r.retransmittedBytes]).toEqual([0, 1, 2]);
  });

  it("two below, or a FIN, is not a keepalive", () => {
    expect(run([data(5099, 1, 10)]).keepalives).toBe(0);
    expect(run([data(5100, 0, 10, { flags: "F." })]).keepalives).toBe(0);
  });
});

describe("the raw window range", () => {
  it("first (its frame and ack), min, max and last of the windows on segments without SYN", () => {
    const c = trackConnection([...handshake(502), ack(5001, 300, 1), ack(5001, 700, 2), ack(5001, 400, 3)]).client;
    expect([c.windows, c.rawFirst, c.rawFirstFrame, c.rawFirstAck, c.rawMin, c.rawMax, c.rawLast]).toEqual([
      4, 502, 3, 5001, 300, 700, 400,
    ]);
  });

  it("a RST's window is not one", () => {
    const c = trackConnection([...handshake(502), { from: C, to: S, flags: "R", seq: 1001, win: 0, time: 1 }]).client;
    expect([c.windows, c.rawMin, c.zeroWindows]).toEqual([1, 502, 0]);
  });
});

describe("windows that fell as data arrived bound the shift", () => {
  /** The client's window falls by `fell` raw units while its ACK moves `acked` bytes (frame 20). */
  const fall = (fell: number, acked: number) => {
    const c = trackConnection([...handshake(1000), ack(5001 + acked, 1000 - fell, 1, { frame: 20 })]).client;
    const k = c.shrinkBounds === null ? null : c.shrinkBounds.findIndex((n) => n > 0);
    return { k, frame: c.shrinkFrame, unscaled: c.unscaledFalls };
  };

  it("the largest k with (fell - 1) << k <= acked; a fall within rounding (< 4) or larger than what arrived says nothing", () => {
    expect(fall(4, 384)).toEqual({ k: 7, frame: 20, unscaled: 0 });
    expect(fall(4, 383)).toEqual({ k: 6, frame: 20, unscaled: 0 });
    expect(fall(4, 3)).toEqual({ k: 0, frame: 20, unscaled: 0 });
    expect(fall(4, 2)).toEqual({ k: null, frame: 0, unscaled: 0 });
    expect(fall(3, 10_000)).toEqual({ k: null, frame: 0, unscaled: 0 });
    expect(fall(4, 3 * 2 ** 14)).toEqual({ k: 14, frame: 20, unscaled: 0 });
    // No bound at all (slot 15): counted, but names no frame.
    expect(fall(4, 3 * 2 ** 15)).toEqual({ k: 15, frame: 0, unscaled: 0 });
    expect(fall(4, 3 * 2 ** 16)).toEqual({ k: 15, frame: 0, unscaled: 0 });
  });

  it("a fall by exactly what arrived (within a unit, at least 64 bytes) is what an unscaled window does", () => {
    expect(fall(100, 100)).toEqual({ k: 0, frame: 20, unscaled: 1 });
    expect(fall(100, 101)).toEqual({ k: 0, frame: 20, unscaled: 1 });
    expect(fall(100, 99)).toEqual({ k: 0, frame: 20, unscaled: 1 });
    expect(fall(100, 102)).toEqual({ k: 0, frame: 20, unscaled: 0 });
    expect(fall(64, 64)).toEqual({ k: 0, frame: 20, unscaled: 1 });
    expect(fall(63, 63)).toEqual({ k: 0, frame: 20, unscaled: 0 });
  });

  it("only against the previous ACK: a window update of the same ack, or an old ACK, bounds nothing", () => {
    const c = trackConnection([...handshake(1000), ack(5001, 900, 1), ack(4001, 800, 2)]).client;
    expect([c.shrinkBounds, c.unscaledFalls]).toEqual([null, 0]);
  });

  it("the first bounded fall names the frame; later ones count", () => {
    const c = trackConnection([
      ...handshake(1000),
      ack(5001 + 384, 996, 1, { frame: 20 }),
      ack(5001 + 768, 992, 2, { frame: 21 }),
    ]).client;
    expect([c.shrinkBounds![7], c.shrinkFrame]).toEqual([2, 20]);
  });
});

describe("the rest of a segment's bookkeeping", () => {
  it("the handshake ends at the client's first ACK of the SYN-ACK, not at an ACK of something else", () => {
    const conn: Connection = trackConnection([
      { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: 7, time: 0, frame: 1 },
      { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 7, time: 0.01, frame: 2 },
      ack(4000, 502, 0.015, { frame: 3 }),
      ack(5001, 502, 0.02, { frame: 4 }),
      ack(5001, 502, 0.03, { frame: 5 }),
    ]);
    expect([conn.handshakeAckTime, conn.handshakeAckFrame, conn.handshakeRtt]).toEqual([0.02, 4, 0.02]);
  });

  it("a window-scale option on a segment without SYN is ignored and counted, with its first frame", () => {
    const c = trackConnection([
      ...handshake(502),
      ack(5001, 502, 1, { wscale: 14, frame: 7 }),
      ack(5001, 502, 2, { wscale: 14, frame: 8 }),
    ]).client;
    expect([c.wscaleOnNonSyn, c.wscaleOnNonSynFrame, c.shift]).toEqual([2, 7, 7]);
  });

  it("records earlier than the latest one are counted as reordered by the capture", () => {
    const conn = trackConnection([...handshake(502), ack(5001, 502, 2), ack(5001, 501, 1), ack(5001, 500, 1.5)]);
    expect([conn.timeReversed, conn.lastTime]).toEqual([2, 2]);
    // Records at the same time stamp are in order.
    expect(trackConnection([...handshake(502), ack(5001, 502, 2), ack(5001, 501, 2)]).timeReversed).toBe(0);
  });

  it("the TTL of a side's first data segment is kept (not its SYN's, not a later one's)", () => {
    const s = trackConnection([
      ...handshake(502),
      data(5001, 100, 0.03, { ttl: 52 }),
      data(5101, 100, 0.04, { ttl: 60 }),
    ]).server;
    expect([s.syn!.ttl, s.dataTtl]).toEqual([64, 52]);
  });
});

describe("half round trips, from acknowledgments and timestamp echoes", () => {
  /** An empty ACK from either side carrying timestamps. */
  const tsAck = (from: string, ts: [number, number], time: number): SegmentSpec => ({
    from,
    to: from === C ? S : C,
    flags: ".",
    seq: from === C ? 1001 : 5001,
    ack: from === C ? 5001 : 1001,
    win: 502,
    ts,
    time,
  });

  it("data -> the ACK that covers it, once per outstanding sample; a retransmission cancels it (Karn)", () => {
    const c = trackConnection([
      ...handshake(502),
      data(5001, 100, 1),
      data(5101, 100, 1.01), // the sample under way is not restarted
      ack(5051, 502, 1.03), // covers only part of it
      ack(5101, 502, 1.05),
      ack(5201, 502, 1.08),
    ]).client;
    expect(c.halfRttSamples).toBe(1);
    expect(c.halfRttMin).toBeCloseTo(0.05, 12);
    const k = trackConnection([
      ...handshake(502),
      data(5001, 100, 1),
      data(5001, 100, 1.5),
      ack(5101, 502, 1.55),
    ]).client;
    expect([k.halfRttSamples, k.pendingAckTime]).toEqual([0, Number.NaN]);
  });

  it("TSval -> its echo: the first TSval of a run is timed, an echo older than it is not its answer", () => {
    const conn = trackConnection([
      ...handshake(502),
      tsAck(C, [100, 0], 1), // the server's sample starts
      tsAck(C, [100, 0], 1.1), // the same TSval again: the clock runs from the first
      tsAck(S, [900, 99], 1.2), // echoes an older TSval: not the answer
      tsAck(S, [901, 100], 1.3), // the answer: 0.3 s
      tsAck(C, [100, 901], 1.4), // a TSval already timed starts nothing
      tsAck(C, [101, 901], 1.5),
      tsAck(S, [902, 101], 1.55), // 0.05 s
    ]);
    const s = conn.server;
    expect(s.halfRttSamples).toBe(2);
    expect(s.halfRttMin).toBeCloseTo(0.05, 12);
    expect(s.halfRttSmoothed).toBeCloseTo(0.3 * 0.875 + 0.05 * 0.125, 12);
    // The client answered the server's 900 (sent at 1.2) with its echo 901 at 1.4.
    const c = conn.client;
    expect(c.halfRttSamples).toBe(1);
    expect(c.halfRttMin).toBeCloseTo(0.2, 12);
  });

  it("an echo of 0 answers nothing, even a TSval just below the wrap", () => {
    const s = trackConnection([
      ...handshake(502),
      tsAck(C, [0xffff_fffa, 7], 1),
      tsAck(S, [900, 0], 1.1),
      tsAck(S, [901, 0xffff_fffa], 1.2),
    ]).server;
    expect(s.halfRttSamples).toBe(1);
    expect(s.halfRttMin).toBeCloseTo(0.2, 12);
  });

  it("the connection's RTT: the handshake's, else the two smoothed halves once both are measured", () => {
    const conn = trackConnection([...handshake(502), data(5001, 100, 1), ack(5101, 502, 1.05)]);
    expect(conn.rtt).toBe(0.02);
    // Without the SYN: no handshake RTT; the client's half alone is not a round trip.
    const half = trackConnection([data(5001, 100, 1), ack(5101, 502, 1.05)]);
    expect(half.rtt).toBeNaN();
    const otherHalf = trackConnection([
      { from: C, to: S, flags: "P.", seq: 1001, ack: 5001, win: 502, len: 10, time: 1 },
      data(5001, 100, 1.25, { ack: 1011 }),
    ]);
    expect([otherHalf.server.halfRttSamples, otherHalf.rtt]).toEqual([1, Number.NaN]);
    const both = trackConnection([
      data(5001, 100, 1),
      ack(5101, 502, 1.05),
      { from: C, to: S, flags: "P.", seq: 1001, ack: 5101, win: 502, len: 10, time: 2 },
      data(5101, 100, 2.25, { ack: 1011 }),
    ]);
    expect([both.client.halfRttSamples, both.server.halfRttSamples]).toEqual([1, 1]);
    expect(both.rtt).toBeCloseTo(0.3, 12);
  });
});

describe("old data: reordered, sent again, or acknowledged before it was captured", () => {
  // A handshake RTT of 0.25 s: a gap filled within 0.125 s of opening was only reordered.
  const slow = (win = 502): SegmentSpec[] => [
    { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: 7, time: 0, frame: 1 },
    { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 7, time: 0.125, frame: 2 },
    { from: C, to: S, flags: ".", seq: 1001, ack: 5001, win, time: 0.25, frame: 3 },
  ];
  const fill = (after: number, more: SegmentSpec[] = []) => {
    const s = trackConnection([...slow(), data(5101, 100, 0.5), ...more, data(5001, 100, 0.5 + after)]).server;
    return [s.outOfOrder, s.retransmissions, s.goodBytes];
  };

  it("a gap filled less than half the RTT after it opened was reordered; at half or later, sent again", () => {
    expect(fill(0.124)).toEqual([1, 0, 200]);
    expect(fill(0.125)).toEqual([0, 1, 200]);
  });

  it("without any RTT, the window is 3 ms (Wireshark's)", () => {
    const s = (after: number) =>
      trackConnection([data(5001, 100, 0.4), data(5201, 100, 0.5), data(5101, 100, 0.5 + after)]).server;
    expect([s(0.0029).outOfOrder, s(0.0031).retransmissions]).toEqual([1, 1]);
  });

  it("asked for by two duplicate ACKs, it is a fast retransmission however soon it came", () => {
    const dup = (n: number) => Array.from({ length: n }, (_, i) => ack(5001, 502, 0.51 + i * 0.001));
    expect(fill(0.05, dup(2))).toEqual([0, 1, 200]);
    expect(fill(0.05, dup(1))).toEqual([1, 0, 200]);
    // Asked for is the byte they name: a segment further into the gap was reordered.
    const s = trackConnection([...slow(), data(5101, 100, 0.5), ...dup(2), data(5051, 50, 0.55)]).server;
    expect([s.outOfOrder, s.retransmissions]).toEqual([1, 0]);
  });

  it("duplicate ACKs are empty ACKs repeating the highest acknowledgment, without SYN, FIN or RST", () => {
    const dupAcks = (segs: SegmentSpec[]) => trackConnection([...slow(), ...segs]).client.dupAcks;
    expect(dupAcks([ack(5001, 502, 1), ack(5001, 502, 2)])).toBe(2);
    expect(dupAcks([ack(5001, 502, 1), ack(5001, 502, 2, { flags: "F." })])).toBe(1);
    expect(dupAcks([ack(5001, 502, 1), ack(4001, 502, 2)])).toBe(1);
    expect(dupAcks([ack(5001, 502, 1), ack(5001, 502, 2, { len: 10, flags: "P." })])).toBe(1);
    expect(dupAcks([ack(5001, 502, 1), data(5001, 100, 1.5), ack(5101, 502, 2)])).toBe(0);
  });

  it("data acknowledged before it was captured is reclaimed: reordered by the capture, nothing missed", () => {
    const run = (a: number) =>
      trackConnection([...slow(), data(5001, 100, 1), ack(a, 502, 1.001), data(5101, 100, 1.002)]).server;
    const whole = run(5201);
    expect([whole.uncapturedBytes, whole.uncapturedGaps, whole.outOfOrder, whole.retransmissions]).toEqual([
      0, 0, 1, 0,
    ]);
    expect(whole.goodBytes).toBe(200);
    const part = run(5301);
    expect([part.uncapturedBytes, part.uncapturedGaps, part.outOfOrder, part.goodBytes]).toEqual([100, 1, 1, 200]);
  });

  it("a segment that starts inside a gap and ends beyond the next sequence number fills the gap", () => {
    const s = trackConnection([
      ...slow(),
      data(5001, 100, 1),
      data(5201, 100, 1.01), // [5101, 5201) not seen
      data(5101, 250, 1.02),
      ack(5351, 502, 1.3),
    ]).server;
    expect([s.uncapturedBytes, s.holes.count, s.goodBytes, s.nextSeq]).toEqual([0, 0, 350, 5351]);
  });

  it("a segment that starts below the next sequence number and ends beyond it: only its new bytes are new", () => {
    const s = trackConnection([...slow(), data(5001, 100, 1), data(5051, 100, 2)]).server;
    expect([s.goodBytes, s.dataBytes, s.nextSeq, s.retransmissions]).toEqual([150, 200, 5151, 0]);
  });
});

describe("flights from the connection's side: edges, window full, the watched segment", () => {
  // The client's window is raw 10 << 7 from ack 5001; its handshake ACK (a pure ACK, 20 ms RTT) opens the first flight.
  const server = (segs: SegmentSpec[], win = 10) => trackConnection([...handshake(win), ...segs]).server;
  const edges = (e: ReturnType<typeof server>) =>
    e.edgeFlights === null ? [] : [...e.edgeFlights.keys()].filter((k) => e.edgeFlights![k]! > 0);

  it("a segment ending at ack + raw << k hits edge k, for k up to 14 only", () => {
    expect(edges(server([data(5001, 1280, 0.03, { frame: 9 })]))).toEqual([7]);
    expect(server([data(5001, 1280, 0.03, { frame: 9 })]).edgeFlightFrame).toBe(9);
    expect(edges(server([data(5001, 2560, 0.03)]))).toEqual([8]);
    expect(edges(server([data(5001, 30, 0.03)]))).toEqual([]);
    expect(edges(server([data(5001, 10, 0.03)]))).toEqual([0]);
    expect(edges(server([data(5001, 10 * 2 ** 14, 0.03)]))).toEqual([14]);
    expect(edges(server([data(5001, 10 * 2 ** 15, 0.03)]))).toEqual([]);
  });

  it("or whose own length is raw << k past the latest ACK (the ACK for the data before it was lost)", () => {
    expect(edges(server([data(5001, 600, 0.03), data(5601, 1280, 0.031)]))).toEqual([7]);
  });

  it("against the peer's three latest ACKs, not older ones", () => {
    const acks = [ack(5011, 10, 0.021), ack(5021, 10, 0.022), ack(5031, 10, 0.023)];
    // 6281 is 5001 + 10 << 7: the fourth ACK back.
    expect(edges(server([...acks, data(5031, 1250, 0.03)]))).toEqual([]);
    expect(edges(server([...acks.slice(1), data(5021, 1260, 0.03)]))).toEqual([7]);
  });

  it("a zero window has no flight: nothing in flight over a raw window of 0", () => {
    const s = server([ack(5001, 0, 0.025), data(5001, 1, 0.03)]);
    expect([s.flights, s.maxInFlightOverRaw, s.maxInFlight]).toEqual([0, 0, 1]);
  });

  it("a flight is window-full from within one MSS of the scaled window (the client's MSS: 1460 by default)", () => {
    // raw 100 << 7 = 12800: full from 12800 - 1460 + 1 = 11341 bytes in flight.
    expect(server([data(5001, 11_340, 0.03)], 100).windowFullFlights).toBe(0);
    expect(server([data(5001, 11_341, 0.03)], 100).windowFullFlights).toBe(1);
    expect(server([data(5001, 11_341, 0.03)], 100).maxInFlightOverRaw).toBe(113.41);
  });

  it("a segment more than 2 raw windows + 4 MSS past the ACK is watched, with a shift only", () => {
    // 2 * 100 + 4 * 1460 = 6040.
    expect(server([data(5001, 6040, 0.03)], 100).beyondEdgeWatched).toBe(0);
    expect(server([data(5001, 6041, 0.03)], 100).beyondEdgeWatched).toBe(1);
    const unscaled = trackConnection([
      { from: C, to: S, flags: "S", seq: 1000, win: 64240, time: 0 },
      { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, time: 0.01 },
      ack(5001, 100, 0.02),
      data(5001, 6041, 0.03),
    ]).server;
    expect([unscaled.shift, unscaled.beyondEdgeWatched]).toEqual([0, 0]);
  });
});

describe("ACKs beyond what was captured", () => {
  it("one byte past the data is a FIN the capture missed; more is data it missed", () => {
    const s = (a: number) => trackConnection([...handshake(502), data(5001, 100, 1), ack(a, 502, 1.01)]).server;
    expect([s(5102).uncapturedBytes, s(5102).uncapturedGaps, s(5102).nextSeq]).toEqual([0, 0, 5102]);
    expect([s(5103).uncapturedBytes, s(5103).uncapturedGaps, s(5103).nextSeq]).toEqual([2, 1, 5103]);
  });

  it("an ACK before anything was captured from the other side misses nothing", () => {
    const s = trackConnection([ack(5001, 502, 1), data(5001, 100, 1.01)]).server;
    expect([s.uncapturedBytes, s.goodBytes]).toEqual([0, 100]);
  });
});

describe("closing", () => {
  const closedAt = (segs: SegmentSpec[]) => trackConnection([...handshake(502), ...segs]).closedAt;
  const fin = (from: string, time: number): SegmentSpec =>
    from === C ? { ...ack(5001, 502, time), flags: "F." } : { ...data(5001, 0, time), flags: "F." };

  it("closed at the second FIN, or a RST; one FIN is not a close", () => {
    expect(closedAt([fin(S, 1)])).toBeNaN();
    expect(closedAt([fin(S, 1), fin(C, 1.5)])).toBe(1.5);
    expect(closedAt([{ from: C, to: S, flags: "R", seq: 1001, time: 2 }])).toBe(2);
  });

  it("the first close counts: a FIN after a RST does not move it", () => {
    expect(
      closedAt([fin(C, 1), { from: S, to: C, flags: "R", seq: 5001, time: 1.2 }, { ...fin(S, 1.5), seq: 5001 }]),
    ).toBe(1.2);
  });

  it("new data after a RST reopens (an ignored or injected RST), not after a FIN", () => {
    const rst = { from: C, to: S, flags: "R", seq: 1001, time: 1 };
    expect(closedAt([rst, data(5001, 100, 1.2)])).toBeNaN();
    expect(closedAt([fin(S, 0.5), rst, data(5001, 100, 1.2)])).toBe(1);
  });
});

describe("the handshake and the SYNs", () => {
  it("complete, partial or none, by the SYNs seen", () => {
    const syn: SegmentSpec = { from: C, to: S, flags: "S", seq: 1000, win: 64240, time: 0 };
    const synAck: SegmentSpec = { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, time: 0.01 };
    expect(trackConnection([syn, synAck]).handshake).toBe("complete");
    expect(trackConnection([synAck, ack(5001, 502, 0.02)]).handshake).toBe("partial");
    expect(trackConnection([syn]).handshake).toBe("partial");
    expect(trackConnection([data(5001, 100, 1)]).handshake).toBe("none");
  });

  it("an RTT of 0 (three records at one time stamp) is the handshake's", () => {
    const at0 = handshake(502).map((s) => ({ ...s, time: 0 }));
    expect(trackConnection(at0).rtt).toBe(0);
  });

  it("the server's latest SYN-ACK counts; a client SYN sent after the SYN-ACK does not replace the one answered", () => {
    const conn = trackConnection([
      { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: 7, time: 0 },
      { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 7, time: 0.01 },
      { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: 9, time: 1 },
      { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 8, time: 1.01 },
    ]);
    expect([conn.client.syn!.wscale, conn.server.syn!.wscale]).toEqual([
      { state: "present", shift: 7 },
      { state: "present", shift: 8 },
    ]);
    expect([conn.client.synOptionsChanged, conn.server.synOptionsChanged]).toEqual([true, true]);
  });

  it("a SYN sent again with another MSS has other options; an MSS option of 0 is kept as 0", () => {
    const syn = (mss: number, time: number): SegmentSpec => ({
      from: C,
      to: S,
      flags: "S",
      seq: 1000,
      win: 64240,
      mss,
      time,
    });
    const c = trackConnection([syn(1460, 0), syn(1400, 1)]).client;
    expect([c.synOptionsChanged, c.syn!.mss]).toEqual([true, 1400]);
    expect(trackConnection([syn(0, 0)]).client.syn!.mss).toBe(0);
  });

  it("client and server on the same port, told apart by any word of an IPv6 address", () => {
    for (const server of [
      "[2001:db8:0:1::1]:443",
      "[2001:db8::1:0:0:1]:443",
      "[2001:db8::2]:443",
      "[2001:db9::1]:443",
    ]) {
      const client = "[2001:db8::1]:443";
      const conn = trackConnection([
        { from: client, to: server, flags: "S", seq: 1000, win: 64240, time: 0 },
        { from: server, to: client, flags: "S.", seq: 5000, ack: 1001, win: 65160, time: 0.01 },
        { from: client, to: server, flags: ".", seq: 1001, ack: 5001, win: 502, time: 0.02 },
      ]);
      expect([conn.client.packets, conn.server.packets, conn.handshake], server).toEqual([2, 1, "complete"]);
    }
  });
});

describe("the summary's throughput, ceiling and times", () => {
  const clientData = (seq: number, len: number, time: number) => ack(5001, 502, time, { seq, len, flags: "P." });
  const summary = (segs: SegmentSpec[]) => summarize(trackConnection([...handshake(502), ...segs]));

  it("the bulk direction moved more bytes; its throughput is its bytes over its first to last data; the ceiling its peer's largest window over the RTT", () => {
    const s = summary([data(5001, 1000, 1), data(6001, 1000, 3), clientData(1001, 10, 3.5)]);
    expect([s.bulkDirection, s.throughputBps, s.ceilingBps]).toEqual(["server-to-client", 1000, (502 << 7) / 0.02]);
    expect([s.rttMs, s.handshakeRttMs, s.durationS]).toEqual([20, 20, 3.5]);
    const up = summary([clientData(1001, 1000, 1), clientData(2001, 1000, 1.5), data(5001, 10, 2)]);
    expect([up.bulkDirection, up.throughputBps, up.ceilingBps]).toEqual(["client-to-server", 4000, (509 << 7) / 0.02]);
  });

  it("equal bytes: the server's side; no data: no direction, no throughput; one data segment: no span", () => {
    expect(summary([data(5001, 10, 1), clientData(1001, 10, 2)]).bulkDirection).toBe("server-to-client");
    expect(summary([]).bulkDirection).toBeNull();
    expect([summary([]).throughputBps, summary([]).ceilingBps]).toEqual([null, null]);
    expect(summary([data(5001, 10, 1)]).throughputBps).toBeNull();
  });

  it("an RTT of 0 is 0 ms, not unknown", () => {
    const s = summarize(trackConnection([...handshake(502), data(5001, 10, 5)].map((x) => ({ ...x, time: 5 }))));
    // No ceiling from a round trip of 0 (it would be infinite).
    expect([s.rttMs, s.handshakeRttMs, s.durationS, s.ceilingBps, s.bulkDirection]).toEqual([
      0,
      0,
      0,
      null,
      "server-to-client",
    ]);
  });

  it("no SYN from a side: synSeen false, no syn block", () => {
    const s = summarize(trackConnection([data(5001, 10, 1)]));
    expect([s.server.synSeen, s.server.syn, s.rttMs, s.handshakeRttMs]).toEqual([false, null, null, null]);
  });
});

describe("what the rest of the program sees of a connection", () => {
  it("a zero-window event on the timeline names the side", () => {
    const conn = trackConnection(
      [...handshake(502), ack(5001, 0, 1, { frame: 7 }), data(5001, 0, 2, { win: 0, flags: ".", frame: 8 })],
      { timeline: true },
    );
    const events = conn.timeline!.events.filter((e) => e.kind === "zero-window");
    expect(events).toEqual([
      { t: 1, kind: "zero-window", label: "client advertises a zero window", frame: 7 },
      { t: 2, kind: "zero-window", label: "server advertises a zero window", frame: 8 },
    ]);
  });

  it("the activity list links and counts its connections", () => {
    const list = new ConnectionList();
    const [a, b, c] = [0, 1, 2].map(() => trackConnection(handshake(502)));
    for (const x of [a!, b!, c!]) list.append(x);
    list.unlink(b!);
    expect(list.size).toBe(2);
    for (const [got, want] of [
      [list.head, a],
      [list.tail, c],
      [a!.listNext, c],
      [c!.listPrev, a],
      [b!.list, null],
    ] as const) {
      expect(got).toBe(want);
    }
    list.unlink(a!);
    list.unlink(c!);
    expect([list.size, list.head, list.tail]).toEqual([0, null, null]);
  });
});
