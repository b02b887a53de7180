/**
 * Two pieces of an endpoint's state that every finding leans on: the half round trips (they decide
 * whether a flight was ACK-clocked) and the test that a record is the same packet captured twice
 * (a duplicate must change nothing; a real retransmission must not be taken for one).
 */
import { describe, expect, it } from "vitest";
import { Endpoint } from "../src/connections/endpoint.js";
import { makeSegment, type SegmentSpec } from "./helpers/segments.js";

describe("half round trips", () => {
  it("the first sample is the estimate, then 7/8 of it plus 1/8 of each new one; the minimum is kept", () => {
    const e = new Endpoint();
    for (const s of [Number.NaN, -0.001]) e.addRttSample(s);
    expect(e.halfRttSamples).toBe(0);
    e.addRttSample(0.04);
    expect([e.halfRttSamples, e.halfRttSmoothed, e.halfRttMin]).toEqual([1, 0.04, 0.04]);
    e.addRttSample(0.08);
    expect(e.halfRttSmoothed).toBeCloseTo(0.04 * 0.875 + 0.08 * 0.125, 12);
    expect(e.halfRttMin).toBe(0.04);
    e.addRttSample(0);
    expect([e.halfRttSamples, e.halfRttMin]).toEqual([3, 0]);
    expect(e.halfRttSmoothed).toBeCloseTo((0.04 * 0.875 + 0.08 * 0.125) * 0.875, 12);
  });
});

describe("the same packet captured twice", () => {
  const C = "198.18.1.2:40000";
  const S = "198.18.2.2:443";
  const data: SegmentSpec = { from: C, to: S, flags: "P.", seq: 1001, ack: 5001, win: 502, len: 100, ipId: 7, time: 1 };
  /** Whether `second`, after `first`, is taken for the same packet. */
  const twice = (first: SegmentSpec, second: Partial<SegmentSpec>): boolean => {
    const e = new Endpoint();
    expect(e.isDuplicate(makeSegment(first))).toBe(false);
    return e.isDuplicate(makeSegment({ ...first, ...second }));
  };

  it("IPv4 with an IP ID: every field equal, however much later, is the same packet; any field different is not", () => {
    expect(twice(data, { time: 5 })).toBe(true);
    for (const d of [{ seq: 1002 }, { ack: 5002 }, { len: 99 }, { flags: "." }, { win: 501 }, { ipId: 8 }] as const)
      expect(twice(data, d), JSON.stringify(d)).toBe(false);
    expect(twice({ ...data, ts: [10, 20] }, { ts: [10, 20] })).toBe(true);
    expect(twice({ ...data, ts: [10, 20] }, { ts: [11, 20] })).toBe(false);
  });

  it("without a usable IP ID (0, or IPv6): data within a millisecond is the same packet, later is a retransmission", () => {
    const noId = { ...data, ipId: 0 };
    expect(twice(noId, { time: 1.0009 })).toBe(true);
    expect(twice(noId, { time: 0.9991 })).toBe(true);
    expect(twice(noId, { time: 1.0015 })).toBe(false);
    const v6 = { ...data, from: "[2001:db8::1]:40000", to: "[2001:db8::2]:443", ipId: 7 };
    expect(twice(v6, { time: 1.0005 })).toBe(true);
    expect(twice(v6, { time: 3 })).toBe(false);
    // A SYN takes sequence space as data does.
    expect(twice({ ...noId, flags: "S", len: 0 }, { time: 1.0005 })).toBe(true);
  });

  it("empty ACKs without an IP ID repeat legitimately (duplicate ACKs), and a RST is never a copy", () => {
    const ack = { ...data, flags: ".", len: 0, ipId: 0 };
    expect(twice(ack, { time: 1 })).toBe(false);
    expect(twice({ ...data, flags: "R", len: 0 }, {})).toBe(false);
  });

  it("the last four records are remembered: a copy of the fifth last is a new packet", () => {
    const e = new Endpoint();
    const seg = (i: number) => makeSegment({ ...data, seq: 1001 + 100 * i });
    for (let i = 0; i < 5; i++) expect(e.isDuplicate(seg(i))).toBe(false);
    expect(e.isDuplicate(seg(0))).toBe(false); // forgotten: remembered again now, in place of seg(1)
    expect(e.isDuplicate(seg(4))).toBe(true);
    expect(e.isDuplicate(seg(2))).toBe(true);
  });
});

describe("flights, as the sender counts them", () => {
  const RTT = 0.2;
  const LIMIT = 1.5 * RTT + 0.005; // a flight is ACK-clocked when its data follows a pure ACK within this

  /** One flight of one segment after the peer's ACK advanced at time 0. */
  const oneFlight = (o: {
    pure?: boolean;
    t?: number;
    hits?: number;
    inFlight?: number;
    raw?: number;
    full?: boolean;
  }) => {
    const e = new Endpoint();
    e.peerAckAdvanced(0, o.pure ?? true);
    e.countFlight(1000, o.inFlight ?? 100, o.raw ?? 100, o.hits ?? 0, o.full ?? false, 5, o.t ?? 0.01, RTT);
    e.closeFlight();
    return e;
  };

  it("edge hits count only in a flight a pure ACK opened, with data within 1.5 RTT + 5 ms of it", () => {
    const hit = (o: Parameters<typeof oneFlight>[0]) => {
      const e = oneFlight({ hits: 0b10, ...o });
      expect(e.flights).toBe(1);
      return [e.edgeFlights === null ? null : Array.from(e.edgeFlights.slice(0, 3)), e.edgeFlightFrame];
    };
    expect(hit({ t: LIMIT })).toEqual([[0, 1, 0], 5]);
    expect(hit({ t: 1.5 * RTT + 0.004 })).toEqual([[0, 1, 0], 5]);
    expect(hit({ t: LIMIT + 1e-9 })).toEqual([null, 0]);
    expect(hit({ pure: false })).toEqual([null, 0]);
    // Clocked, but nothing ended at an edge: nothing allocated, no frame named.
    expect(hit({ hits: 0 })).toEqual([null, 0]);
    // Without any ACK advance seen there is no clock.
    const e = new Endpoint();
    e.countFlight(1000, 100, 100, 0b1, false, 5, 0.01, RTT);
    e.closeFlight();
    expect([e.flights, e.edgeFlights]).toEqual([1, null]);
  });

  it("a flight counts each shift's edge once, however many of its segments hit it; the first hit names the frame", () => {
    const e = new Endpoint();
    e.peerAckAdvanced(0, true);
    e.countFlight(1000, 100, 100, 0b11, false, 5, 0.01, RTT);
    e.countFlight(1000, 200, 100, 0b10, false, 6, 0.02, RTT);
    e.peerAckAdvanced(1, true);
    e.countFlight(2000, 100, 100, 0b10, false, 8, 1.01, RTT);
    e.countFlight(2000, 200, 100, 0b10, false, 9, 1.02, RTT);
    e.closeFlight();
    expect([e.flights, Array.from(e.edgeFlights!.slice(0, 3)), e.edgeFlightFrame]).toEqual([2, [1, 2, 0], 5]);
  });

  it("a flight is window-full when any of its segments came within an MSS of the window; closing twice counts once", () => {
    const e = new Endpoint();
    e.countFlight(1000, 100, 100, 0, false, 1, 0, RTT);
    e.countFlight(1000, 200, 100, 0, true, 2, 0, RTT);
    e.countFlight(1000, 300, 100, 0, false, 3, 0, RTT);
    e.countFlight(2000, 100, 100, 0, false, 4, 0, RTT); // closes the first flight
    e.closeFlight();
    e.closeFlight(); // nothing under way: nothing counted
    expect([e.flights, e.windowFullFlights]).toEqual([2, 1]);
  });

  it("each flight lands in the smallest k with flight <= raw << k, by the largest ratio it reached", () => {
    const within = (inFlights: number[]) => {
      const e = new Endpoint();
      for (const f of inFlights) e.countFlight(1000, f, 100, 0, false, 1, 0, RTT);
      e.closeFlight();
      return e.flightsWithin.indexOf(1);
    };
    expect([100, 101, 200, 201, 400, 401].map((f) => within([f]))).toEqual([0, 1, 1, 2, 2, 3]);
    expect(within([300, 150])).toBe(2); // the largest, not the latest
    expect(within([100 * 2 ** 14])).toBe(14);
    expect(within([100 * 2 ** 14 + 1])).toBe(15); // beyond any legal shift
    expect(within([100 * 2 ** 20])).toBe(15);
  });

  it("flightsBeyond(k) counts the flights that went past raw << k", () => {
    const e = new Endpoint();
    for (const [ack, f] of [
      [1, 100],
      [2, 150],
      [3, 300],
      [4, 100 * 2 ** 20],
    ] as const) {
      e.countFlight(ack, f, 100, 0, false, 1, 0, RTT);
    }
    e.closeFlight();
    expect([0, 1, 2, 14, 15].map((k) => e.flightsBeyond(k))).toEqual([3, 2, 1, 1, 0]);
  });
});

describe("loss episodes against the peer's unscaled edge", () => {
  const MSS = 1000;
  /** The peer acknowledged 10000 then 20000, each with raw window 3000: the unscaled edges are 13000 and 23000. */
  const peer = () => {
    const p = new Endpoint();
    p.mssHint = MSS;
    p.acks.push(10_000, 3000);
    p.acks.push(20_000, 3000);
    p.maxAck = 20_000;
    return p;
  };
  const lossAt = (seq: number, inFlight = 10_000) => {
    const e = new Endpoint();
    e.countLoss(seq, peer(), inFlight, 7);
    return e;
  };
  const counts = (e: Endpoint) => [e.lossEpisodes, e.edgeEpisodes, e.belowEdgeEpisodes, e.edgeEpisodeFrame];

  it("the first lost byte within an MSS of ack + raw window is at the edge; further below is below it", () => {
    for (const seq of [23_000, 22_000, 24_000]) expect(counts(lossAt(seq)), String(seq)).toEqual([1, 1, 0, 7]);
    expect(counts(lossAt(24_001))).toEqual([1, 0, 0, 0]);
    expect(counts(lossAt(21_999))).toEqual([1, 0, 1, 0]);
    // The latest ACK below the lost byte is the one that counts: 20000 is not below 20000.
    expect(counts(lossAt(20_000))).toEqual([1, 0, 0, 0]);
    expect(counts(lossAt(13_000))).toEqual([1, 1, 0, 7]);
  });

  it("a loss below every ACK kept is an episode with nothing to place, and adds no chance", () => {
    const e = lossAt(9000);
    expect([...counts(e), e.edgeChance]).toEqual([1, 0, 0, 0, 0]);
  });

  it("the chance of random loss that close to the edge is 2 MSS + 1 of the flight, at most 1", () => {
    expect(lossAt(23_000, 10_000).edgeChance).toBeCloseTo(2001 / 10_000, 12);
    expect(lossAt(30_000, 40_020).edgeChance).toBeCloseTo(2001 / 40_020, 12);
    expect(lossAt(23_000, 2001).edgeChance).toBe(1);
    expect(lossAt(23_000, 0).edgeChance).toBe(1);
  });

  it("one episode per advance of the peer's ACK; the first edge episode names the frame", () => {
    const e = new Endpoint();
    const p = peer();
    e.countLoss(23_000, p, 10_000, 7);
    e.countLoss(21_000, p, 10_000, 8); // the same episode: its first lost byte was 23000
    p.maxAck = 20_001;
    e.countLoss(23_500, p, 10_000, 9);
    p.maxAck = 20_002;
    e.countLoss(21_000, p, 10_000, 10);
    expect(counts(e)).toEqual([3, 2, 1, 7]);
    expect(e.edgeChance).toBeCloseTo(3 * 0.2001, 12);
  });
});

describe("a segment watched beyond the unscaled edge", () => {
  const watched = () => {
    const e = new Endpoint();
    e.watchBeyondEdge(1000, 2000);
    return e;
  };

  it("is delivered when the peer acknowledges its end, once; one is watched at a time", () => {
    const e = watched();
    e.watchBeyondEdge(5000, 6000); // ignored: one under watch
    e.acknowledged(1999);
    expect([e.beyondEdgeWatched, e.deliveredBeyondEdge]).toEqual([1, 0]);
    e.acknowledged(2000);
    e.acknowledged(2100);
    expect([e.beyondEdgeWatched, e.deliveredBeyondEdge]).toEqual([1, 1]);
    e.watchBeyondEdge(5000, 6000);
    e.acknowledged(2100); // the first segment's end, not the second's
    e.acknowledged(6000);
    expect([e.beyondEdgeWatched, e.deliveredBeyondEdge]).toEqual([2, 2]);
  });

  it("is not delivered when a retransmission overlapped it; one that only touches it changes nothing", () => {
    const delivered = (seq: number, end: number) => {
      const e = watched();
      e.retransmitted(seq, end);
      e.acknowledged(3000);
      return e.deliveredBeyondEdge;
    };
    expect(delivered(500, 1001)).toBe(0);
    expect(delivered(1999, 2500)).toBe(0);
    expect(delivered(1200, 1300)).toBe(0);
    expect(delivered(500, 1000)).toBe(1);
    expect(delivered(2000, 2500)).toBe(1);
  });

  it("works across the wrap of sequence space", () => {
    const e = new Endpoint();
    e.watchBeyondEdge(0xffff_ff00, 0x100);
    e.retransmitted(0x200, 0x300);
    e.acknowledged(0xffff_ffff);
    expect(e.deliveredBeyondEdge).toBe(0);
    e.acknowledged(0x100);
    expect(e.deliveredBeyondEdge).toBe(1);
  });
});
