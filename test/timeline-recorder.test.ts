/**
 * What the HTML report's charts are drawn from, at each rule: the series keep changes only and thin to
 * minimum and maximum; the time-sequence recorder takes its base from the SYN (or one before the first
 * byte), unwraps sequence numbers past 2^32, records ACKs only when they change, and merges runs of four
 * when full; the connection's recorder scales windows by the shift each side applies.
 */
import { describe, expect, it } from "vitest";
import type { Connection } from "../src/connections/connection.js";
import { SequenceRecorder, Series } from "../src/connections/timeline.js";
import { makeSegment, type SegmentSpec, trackConnection } from "./helpers/segments.js";

const C = "198.18.1.2:40000";
const S = "198.18.2.2:443";
const seg = (o: Partial<SegmentSpec>) => makeSegment({ from: C, to: S, flags: "P.", ...o });

describe("a series", () => {
  it("when full (2,048 points), each four become their minimum and maximum, in time order", () => {
    const s = new Series();
    for (let i = 0; i < 2048; i++) s.push(i, i % 8 < 4 ? i : -i, i + 1);
    s.push(2048, 5, 2049);
    const pts = s.points(0);
    expect(pts).toHaveLength(1025);
    // Rising run 0..3 keeps 0 and 3; falling run -4..-7 keeps -4 (its maximum, first) and -7.
    expect(pts.slice(0, 4)).toEqual([
      [0, 0],
      [3, 3],
      [4, -4],
      [7, -7],
    ]);
    expect(pts[1024]).toEqual([2048, 5]);
  });

  it("a run of four with one value repeated keeps one point for it", () => {
    const s = new Series();
    for (let i = 0; i < 2048; i++) s.push(i, i % 2, i + 1);
    s.push(2048, 7, 2049);
    expect(s.points(0).slice(0, 4)).toEqual([
      [0, 0],
      [1, 1],
      [4, 0],
      [5, 1],
    ]);
  });

  it("times are relative to the origin, rounded to the microsecond; the time of a frame is its first point at or after it", () => {
    const s = new Series();
    s.push(10.0000004, 1, 5);
    s.push(10.5, 2, 9);
    expect(s.points(10)).toEqual([
      [0, 1],
      [0.5, 2],
    ]);
    expect([s.timeOfFrame(1), s.timeOfFrame(5), s.timeOfFrame(6), s.timeOfFrame(9), s.timeOfFrame(10)]).toEqual([
      10.0000004,
      10.0000004,
      10.5,
      10.5,
      Number.NaN,
    ]);
  });
});

describe("the time-sequence recorder", () => {
  it("counts from the SYN (the first data byte is 1), or from one before the first byte seen", () => {
    const r = new SequenceRecorder();
    expect(r.highest).toBeNull();
    r.send(seg({ flags: "S", seq: 1000 }), 0, false);
    r.send(seg({ seq: 1001, len: 100 }), 1, false);
    r.send(seg({ seq: 1001, len: 100 }), 2, true);
    expect(r.toData(0).segments).toEqual([
      [1, 1, 101, 0],
      [2, 1, 101, 1],
    ]);
    expect(r.highest).toBe(1101);
    const mid = new SequenceRecorder();
    mid.send(seg({ seq: 5001, len: 100 }), 1, false);
    expect(mid.toData(0).segments).toEqual([[1, 1, 101, 0]]);
  });

  it("records no segment for a SYN, a RST or an empty segment", () => {
    const r = new SequenceRecorder();
    r.send(seg({ flags: "S", seq: 1000, len: 0 }), 0, false);
    r.send(seg({ flags: "R", seq: 1001, len: 10 }), 1, false);
    r.send(seg({ flags: ".", seq: 1001, len: 0 }), 2, false);
    expect([r.toData(0).segments, r.highest]).toEqual([[], null]);
  });

  it("unwraps past 2^32: the transfer keeps climbing; an older segment stays below", () => {
    const r = new SequenceRecorder();
    r.send(seg({ flags: "S", seq: 0xffff_ff00 }), 0, false);
    r.send(seg({ seq: 0xffff_ff01, len: 0x200 }), 1, false);
    r.send(seg({ seq: 0x101, len: 100 }), 2, false);
    r.send(seg({ seq: 0xffff_ff01, len: 10 }), 3, true);
    expect(r.toData(0).segments).toEqual([
      [1, 1, 513, 0],
      [2, 513, 613, 0],
      [3, 1, 11, 1],
    ]);
    expect(r.highest).toBe(0x101 + 100);
    // Past 2^31 from the base the difference alone would turn negative.
    const far = new SequenceRecorder();
    far.send(seg({ flags: "S", seq: 0 }), 0, false);
    far.send(seg({ seq: 1 + 2 ** 30, len: 10 }), 1, false);
    far.send(seg({ seq: 1 + 2 ** 31 + 2 ** 29, len: 10 }), 2, false);
    expect(far.toData(0).segments.map((s) => s[1])).toEqual([1 + 2 ** 30, 1 + 2 ** 31 + 2 ** 29]);
  });

  it("takes the peer's ACKs with their raw windows, only when either changes, not on SYN, RST or without ACK", () => {
    const r = new SequenceRecorder();
    const ack = (a: number, win: number, flags = ".") => makeSegment({ from: S, to: C, flags, ack: a, win });
    r.ack(ack(1001, 500), 0); // before the base: nothing to count from
    r.send(seg({ flags: "S", seq: 1000 }), 0, false);
    r.ack(ack(1001, 500, "S."), 1);
    r.ack(ack(1001, 500), 2);
    r.ack(ack(1001, 500), 3);
    r.ack(ack(1001, 400), 4);
    r.ack(ack(1101, 400), 5);
    r.ack(ack(1201, 400, "R."), 6);
    r.ack(ack(1301, 400, "P"), 7);
    expect(r.toData(0).acks).toEqual([
      [2, 1, 500],
      [4, 1, 400],
      [5, 101, 400],
    ]);
  });

  it("when full, four segments become two bars, each from its lowest start to its highest end, retransmitted if one was", () => {
    const r = new SequenceRecorder();
    r.send(seg({ flags: "S", seq: 0 }), 0, false);
    // The first two swapped: [11, 21) then [1, 11) filling the gap, sent again.
    for (let i = 0; i < 2049; i++) r.send(seg({ seq: i === 0 ? 11 : i === 1 ? 1 : 1 + 10 * i, len: 10 }), i, i === 1);
    const s = r.toData(0).segments;
    expect(s).toHaveLength(1025);
    expect(s.slice(0, 3)).toEqual([
      [0, 1, 21, 1],
      [2, 21, 41, 0],
      [4, 41, 61, 0],
    ]);
    expect(s[1024]).toEqual([2048, 20481, 20491, 0]);
  });

  it("when full, four ACKs become the first with the smallest window, and the last unless it is that one", () => {
    const r = new SequenceRecorder();
    r.send(seg({ flags: "S", seq: 0 }), 0, false);
    const wins = [100, 5, 5, 100, 100, 100, 100, 5];
    for (let i = 0; i < 2049; i++) r.ack(makeSegment({ from: S, to: C, flags: ".", ack: 1 + i, win: wins[i % 8]! }), i);
    const a = r.toData(0).acks;
    expect(a).toHaveLength(256 * 2 + 256 + 1);
    expect(a.slice(0, 4)).toEqual([
      [1, 2, 5],
      [3, 4, 100],
      [7, 8, 5],
      [9, 10, 5],
    ]);
  });
});

describe("the connection's recorder", () => {
  const track = (specs: SegmentSpec[]): Connection => trackConnection(specs, { timeline: true });
  const conn = track([
    { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: 7, time: 0, frame: 1 },
    { from: S, to: C, flags: "S.", seq: 5000, ack: 1001, win: 65160, wscale: 2, time: 0.01, frame: 2 },
    { from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 502, time: 0.02, frame: 3 },
    { from: S, to: C, flags: "P.", seq: 5001, ack: 1001, win: 1000, len: 300, time: 0.03, frame: 4 },
    { from: S, to: C, flags: "P.", seq: 5301, ack: 1001, win: 1000, len: 300, time: 0.04, frame: 5 },
    { from: C, to: S, flags: ".", seq: 1001, ack: 5301, win: 400, time: 0.05, frame: 6 },
    { from: C, to: S, flags: "R", seq: 1001, win: 0, time: 0.06, frame: 7 },
  ]);
  const t = conn.timeline!.toTimeline(0);

  it("each side's window scaled by the shift it applies; SYNs and RSTs are no window", () => {
    expect(t.clientWindow).toEqual([
      [0.02, 502 << 7],
      [0.05, 400 << 7],
    ]);
    expect(t.serverWindow).toEqual([[0.03, 1000 << 2]]);
  });

  it("bytes in flight each way, from what was sent and what the other side acknowledged", () => {
    expect(t.serverInFlight).toEqual([
      [0.03, 300],
      [0.04, 600],
      [0.05, 300],
    ]);
    expect(t.clientInFlight).toEqual([]); // the client sent no data
  });

  it("no bytes in flight before the other side acknowledged anything, and never below 0", () => {
    const data: SegmentSpec = { from: C, to: S, flags: "P.", seq: 1001, ack: 5001, win: 502, len: 100, time: 1 };
    expect(track([data]).timeline!.toTimeline(0).clientInFlight).toEqual([]);
    // The server acknowledged more than the capture saw: 0 in flight, not -100.
    const beyond = track([
      data,
      { from: S, to: C, flags: ".", seq: 5001, ack: 1201, win: 500, time: 1.1 },
      { from: C, to: S, flags: ".", seq: 1101, ack: 5001, win: 502, time: 1.2 },
    ]);
    expect(beyond.timeline!.toTimeline(0).clientInFlight).toEqual([[1.1, 0]]);
  });

  it("the time of a frame: the earliest point at or after it in any series", () => {
    const rec = conn.timeline!;
    expect([rec.timeOfFrame(3), rec.timeOfFrame(4), rec.timeOfFrame(6), rec.timeOfFrame(8)]).toEqual([
      0.02,
      0.03,
      0.05,
      Number.NaN,
    ]);
  });

  it("events relative to the origin", () => {
    expect(conn.timeline!.toTimeline(0.01).events).toEqual([
      { t: 0.01, kind: "handshake", label: "handshake complete", frame: 3 },
    ]);
  });
});
