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
