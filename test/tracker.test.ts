/**
 * The tracker's bookkeeping, segment by segment: which connection a segment belongs to, when a
 * connection is finalised (closed, idle, parked, evicted) and in what order. connections.test.ts
 * checks what a connection holds; this file checks the lists and the hash table around it, at the
 * boundaries of each timer and limit (the mutation run found them untested).
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  CLOSE_LINGER,
  ConnectionTracker,
  DONE_QUIET,
  MAX_PARKED,
  PARK_SECONDS,
  SWEEP_EVERY,
} from "../src/connections/tracker.js";
import { makeSegment, resetFrames, type SegmentSpec } from "./helpers/segments.js";

interface Final {
  /** Start order (Connection.seq). */
  seq: number;
  client: string;
  packets: number;
  /** Payload bytes, both directions. */
  bytes: number;
  /** Index of the segment being handled when it was finalised (-1: at flush). */
  at: number;
}

interface Run {
  tracker: ConnectionTracker;
  finals: Final[];
  handshakes: { seq: number; at: number }[];
  feed(specs: SegmentSpec[]): void;
}

function tracker(opts: { idleTimeout?: number; closeLinger?: number; reuse?: boolean } = {}): Run {
  let i = -1;
  const finals: Final[] = [];
  const handshakes: { seq: number; at: number }[] = [];
  const t = new ConnectionTracker({
    idleTimeout: opts.idleTimeout ?? 300,
    closeLinger: opts.closeLinger,
    reuse: opts.reuse,
    onFinal: (c) =>
      finals.push({
        seq: c.seq,
        client: c.client.describe(),
        packets: c.packets,
        bytes: c.client.dataBytes + c.server.dataBytes,
        at: i,
      }),
    onHandshake: (c) => handshakes.push({ seq: c.seq, at: i }),
  });
  return {
    tracker: t,
    finals,
    handshakes,
    feed(specs) {
      for (const s of specs) {
        i++;
        t.segment(makeSegment(s));
      }
    },
  };
}

/** Run to the end: every connection finalised, `at` -1 for those the flush finalised. */
function finish(run: Run): Final[] {
  const before = run.finals.length;
  run.tracker.flush();
  for (const f of run.finals.slice(before)) f.at = -1;
  return run.finals;
}

const C = "198.18.1.2:42501";
const S = "198.18.2.2:80";
/** Another connection's traffic: it drives the sweeps without touching the one under test. */
const other = (time: number, n = 1): SegmentSpec => ({
  from: `198.18.9.${n}:1000`,
  to: S,
  flags: ".",
  seq: 1 + Math.round(time * 1000),
  ack: 1,
  win: 1,
  time,
});

/** A complete handshake and one exchange, every segment at `t`. */
const established = (t: number, from = C, to = S): SegmentSpec[] => [
  { from, to, flags: "S", seq: 10, win: 64240, wscale: 7, time: t },
  { from: to, to: from, flags: "S.", seq: 5000, ack: 11, win: 65160, wscale: 7, time: t },
  { from, to, flags: ".", seq: 11, ack: 5001, win: 502, time: t },
  { from, to, flags: "P.", seq: 11, ack: 5001, win: 502, len: 100, time: t },
  { from: to, to: from, flags: ".", seq: 5001, ack: 111, win: 509, time: t },
];

beforeEach(() => resetFrames());

describe("live and started counts", () => {
  it("count open connections and every connection begun, finalised or not", () => {
    const run = tracker();
    expect([run.tracker.live, run.tracker.started]).toEqual([0, 0]);
    run.feed([...established(0), other(0.5, 1), other(0.5, 2)]);
    expect([run.tracker.live, run.tracker.started]).toEqual([3, 3]);
    run.feed([{ from: C, to: S, flags: "R", seq: 111, time: 0.6 }, other(3, 3)]);
    // The RST'd connection is finalised at the sweep of t=3 (1 s linger): 3 live of 4 begun.
    expect([run.tracker.live, run.tracker.started]).toEqual([3, 4]);
    expect(finish(run).map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    expect(run.tracker.live).toBe(0);
  });
});

describe("sweeps: every SWEEP_EVERY (0.05) capture seconds, from the first segment's time", () => {
  // Closed at t=0 with a linger of 0.5 s: the first sweep after t=0.5 finalises it.
  const closedAtZero: SegmentSpec[] = [
    { from: C, to: S, flags: "S", seq: 10, win: 64240, time: 0 },
    { from: S, to: C, flags: "R.", seq: 0, ack: 11, time: 0 },
  ];

  it("at 0.5 s the linger is not over; at 0.54 s no sweep is due (the last was at 0.5); at 0.55 s one is", () => {
    expect(SWEEP_EVERY).toBe(0.05);
    const run = tracker({ closeLinger: 0.5 });
    run.feed([...closedAtZero, other(0.5), other(0.54), other(0.55)]);
    expect(run.finals).toEqual([{ seq: 1, client: "198.18.1.2:42501", packets: 2, bytes: 0, at: 4 }]);
    // The same when the first segment is the close itself (a RST: it starts the sweep clock too).
    const rst = tracker({ closeLinger: 0.5 });
    rst.feed([{ from: C, to: S, flags: "R", seq: 10, time: 0 }, other(0.5), other(0.54), other(0.55)]);
    expect(rst.finals.map((f) => [f.seq, f.at])).toEqual([[1, 3]]);
  });

  it("new data after a RST at time 0 that did not end the connection takes it out of the closed list", () => {
    const run = tracker();
    run.feed([
      ...established(0),
      { from: S, to: C, flags: "R", seq: 5001 + 99_999, time: 0 }, // off the window: RFC 5961 ignores it
      { from: S, to: C, flags: ".", seq: 5001, ack: 111, win: 509, len: 1000, time: 0.5 },
      other(3),
    ]);
    expect(run.finals.filter((f) => f.seq === 1)).toEqual([]);
    // Open again, it goes quiet like any open connection: parked at the idle timeout, then finalised.
    run.feed([other(PARK_SECONDS + 10, 2)]);
    expect(run.finals.filter((f) => f.seq === 1).map((f) => f.at)).toEqual([8]);
  });

  it("a connection closed at time 0 is closed (closedAt 0 counts): finalised after the linger, not the idle timeout", () => {
    const run = tracker();
    run.feed([...closedAtZero, other(1), other(2)]);
    // Linger 1 s: at t=1, 1 - 0 is not more than 1; at t=2 it is.
    expect(run.finals.map((f) => [f.seq, f.at])).toEqual([[1, 3]]);
  });

  it("a SYN on the 4-tuple of a connection closed at time 0 starts a new one, even with the same ISN", () => {
    const run = tracker();
    run.feed([...closedAtZero, { from: C, to: S, flags: "S", seq: 10, win: 64240, time: 0.5 }]);
    expect(finish(run).map((f) => [f.seq, f.packets])).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });
});

describe("closed with both FINs acknowledged: finalised after DONE_QUIET without a segment, not CLOSE_LINGER after the close", () => {
  // established(0) ends with the client at 111 and the server at 5001.
  const fins = (t: number): SegmentSpec[] => [
    { from: C, to: S, flags: "F.", seq: 111, ack: 5001, win: 502, time: t },
    { from: S, to: C, flags: "F.", seq: 5001, ack: 112, win: 509, time: t },
  ];
  const lastAck = (t: number): SegmentSpec => ({ from: C, to: S, flags: ".", seq: 112, ack: 5002, win: 502, time: t });

  it(`the final ACK at 0.1 s: still there at 0.3 s (quiet for exactly ${DONE_QUIET} s), finalised at 0.35 s`, () => {
    expect([DONE_QUIET, CLOSE_LINGER]).toEqual([0.2, 1]);
    const run = tracker();
    run.feed([...established(0), ...fins(0.1), lastAck(0.1), other(0.3)]);
    expect(run.finals).toEqual([]);
    run.feed([other(0.35)]);
    expect(run.finals).toEqual([{ seq: 1, client: C, packets: 8, bytes: 100, at: 9 }]);
  });

  it("a segment while done (the final ACK again) starts the quiet time again", () => {
    const run = tracker();
    run.feed([...established(0), ...fins(0.1), lastAck(0.1), lastAck(0.25), other(0.4)]);
    expect(run.finals).toEqual([]);
    run.feed([other(0.5)]);
    expect(run.finals.map((f) => [f.seq, f.packets, f.at])).toEqual([[1, 9, 10]]);
  });

  it("without the final ACK (one FIN not acknowledged) the connection waits CLOSE_LINGER after the close", () => {
    const run = tracker();
    run.feed([...established(0), ...fins(0.1), other(0.5), other(1.1)]);
    expect(run.finals).toEqual([]);
    run.feed([other(1.2)]);
    expect(run.finals.map((f) => [f.seq, f.at])).toEqual([[1, 9]]);
  });

  it("an ACK short of the FIN does not make it done", () => {
    const run = tracker();
    run.feed([...established(0), ...fins(0.1), { ...lastAck(0.1), ack: 5001 }, other(0.5)]);
    expect(run.finals).toEqual([]);
    run.feed([other(1.2)]);
    expect(run.finals.map((f) => [f.seq, f.at])).toEqual([[1, 9]]);
  });
});

describe("the handshake callback", () => {
  it("fires once, at the ACK that completes the handshake, also when it is at time 0", () => {
    const run = tracker();
    run.feed([...established(0), ...established(0, "198.18.1.3:50000")]);
    expect(run.handshakes).toEqual([
      { seq: 1, at: 2 },
      { seq: 2, at: 7 },
    ]);
  });
});

describe("finding a segment's connection", () => {
  /** Two connections whose 4-tuples differ only in one 32-bit word of one IPv6 address. */
  const words: [string, string][] = [
    ["[2001:db8::1]:40000", "[2001:db8::2]:443"],
    ["[2001:db8:0:1::1]:40000", "[2001:db8::2]:443"],
    ["[2001:db8::1:0:0:1]:40000", "[2001:db8::2]:443"],
    ["[2001:db8::1:1]:40000", "[2001:db8::2]:443"],
    ["[2001:db9::1]:40000", "[2001:db8::2]:443"],
    ["[2001:db8::1]:40000", "[2001:db8:0:1::2]:443"],
    ["[2001:db8::1]:40000", "[2001:db8::1:0:0:2]:443"],
    ["[2001:db8::1]:40000", "[2001:db8::1:2]:443"],
    ["[2001:db8::1]:40000", "[2001:db9::2]:443"],
    ["[2001:db8::1]:40001", "[2001:db8::2]:443"],
    ["[2001:db8::1]:40000", "[2001:db8::2]:444"],
  ];

  it.each(words.slice(1))("%s -> %s is not [2001:db8::1]:40000 -> [2001:db8::2]:443, in either direction", (c, s) => {
    const [c0, s0] = words[0]!;
    const run = tracker();
    // Alternate the two connections, and the directions, so that each segment follows one of the
    // other (the last connection is tried first); 100-byte segments on one, 7-byte on the other.
    run.feed([
      { from: c0, to: s0, seq: 1, ack: 1, win: 1, len: 100, time: 0 },
      { from: c, to: s, seq: 1, ack: 1, win: 1, len: 7, time: 0 },
      { from: s0, to: c0, seq: 1, ack: 101, win: 1, len: 100, time: 0 },
      { from: s, to: c, seq: 1, ack: 8, win: 1, len: 7, time: 0 },
      { from: c0, to: s0, seq: 101, ack: 101, win: 1, len: 100, time: 0 },
    ]);
    expect(finish(run).map((f) => [f.packets, f.bytes])).toEqual([
      [3, 300],
      [2, 14],
    ]);
  });

  it("a SYN reusing the port right after the old connection's last segment, then traffic between, stays found", () => {
    const run = tracker();
    run.feed([
      ...established(0),
      { from: C, to: S, flags: "S", seq: 900_000, win: 64240, time: 1 }, // another ISN: port reuse
      other(1.1),
      { from: S, to: C, flags: "S.", seq: 70_000, ack: 900_001, win: 65160, time: 1.2 },
      other(1.3),
      { from: C, to: S, flags: ".", seq: 900_001, ack: 70_001, win: 502, time: 1.4 },
    ]);
    expect(finish(run).map((f) => [f.seq, f.packets])).toEqual([
      [1, 5],
      [2, 3],
      [3, 2],
    ]);
    expect(run.handshakes.map((h) => h.seq)).toEqual([1, 2]);
  });

  it("a SYN recorded after the SYN-ACK that acknowledges it is that connection's; a SYN with another ISN is not", () => {
    for (const [isn, connections] of [
      [10, 1],
      [11, 2],
    ]) {
      const run = tracker();
      const [syn, synAck, ...rest] = established(0);
      run.feed([synAck!, { ...syn!, seq: isn }, ...rest]);
      expect(finish(run).length, `ISN ${isn}`).toBe(connections);
    }
  });

  // No handshake: the higher port (42501) is taken for the client; a SYN from either side is new.
  it.each([
    [C, S, "198.18.1.2:42501"],
    [S, C, "198.18.2.2:80"],
  ])("a SYN from %s after mid-stream traffic opens a new connection (its client: %s)", (from, to, client) => {
    const run = tracker();
    run.feed([
      { from: C, to: S, flags: ".", seq: 100, ack: 200, win: 502, len: 10, time: 0 },
      { from, to, flags: "S", seq: 7000, win: 64240, time: 0.1 },
    ]);
    expect(finish(run).map((f) => [f.client, f.packets])).toEqual([
      ["198.18.1.2:42501", 1],
      [client, 1],
    ]);
  });

  it("3,000 open connections (the hash table grows past 1,024 buckets twice) each keep all their segments", () => {
    const run = tracker();
    const client = (i: number) => `198.18.${(i >> 8) & 0xff}.${i & 0xff}:${40000 + (i % 7)}`;
    const n = 3000;
    for (let i = 0; i < n; i++) run.feed([{ from: client(i), to: S, flags: "S", seq: i, win: 1, time: 0 }]);
    expect(run.tracker.live).toBe(n);
    // Reset every third from the server (finalised at the next sweep), then one more segment for all.
    for (let i = 0; i < n; i += 3)
      run.feed([{ from: S, to: client(i), flags: "R.", seq: 0, ack: i + 1, win: 0, time: 0.5 }]);
    run.feed([other(2)]);
    expect(run.finals).toHaveLength(n / 3);
    for (let i = 0; i < n; i++)
      if (i % 3 !== 0) run.feed([{ from: S, to: client(i), flags: "S.", seq: 9, ack: i + 1, win: 1, time: 2.5 }]);
    const all = finish(run);
    expect(all).toHaveLength(n + 1);
    expect(all.every((f) => f.packets === 2 || f.client.startsWith("198.18.9.1:"))).toBe(true);
  });
});

describe("idle connections: finalised, or parked when established", () => {
  it("a connection that keeps sending is not the one finalised at the idle timeout (activity order)", () => {
    const run = tracker();
    const busy = "198.18.1.3:50000";
    const specs: SegmentSpec[] = [
      { from: busy, to: S, flags: "S", seq: 1, win: 1, time: 0 },
      { from: C, to: S, flags: "S", seq: 10, win: 1, time: 1 },
    ];
    for (let t = 10; t <= 400; t += 10) specs.push({ from: busy, to: S, flags: "S", seq: 1, win: 1, time: t });
    run.feed(specs);
    // C's SYN (t=1) is idle past 300 s at the sweep of t=310 (segment 32); the busy one never is.
    expect(run.finals.map((f) => [f.client, f.at])).toEqual([["198.18.1.2:42501", 32]]);
  });

  it("a handshake without its final ACK is not established: finalised at the idle timeout, not parked", () => {
    const run = tracker();
    run.feed([...established(0).slice(0, 2), other(302)]);
    expect(run.finals.map((f) => [f.seq, f.at])).toEqual([[1, 2]]);
  });

  it(`a parked connection is finalised when silent for more than PARK_SECONDS (${PARK_SECONDS} s), not at exactly that`, () => {
    const run = tracker();
    const mine = () => run.finals.filter((f) => f.seq === 1).map((f) => f.at);
    run.feed([...established(0), other(400), other(PARK_SECONDS, 2)]);
    expect(mine()).toEqual([]);
    run.feed([other(PARK_SECONDS + 1, 3)]);
    expect(mine()).toEqual([7]);
  });

  it(`at most MAX_PARKED (${MAX_PARKED}) parked connections: one more finalises the longest parked`, () => {
    const run = tracker();
    const at = (i: number) => `198.18.${(i >> 8) & 0xff}.${i & 0xff}:40000`;
    for (let i = 0; i < MAX_PARKED; i++) run.feed(established(i * 0.001, at(i)));
    run.feed([other(400)]);
    expect(run.finals).toHaveLength(0);
    run.feed(established(401, at(MAX_PARKED)));
    run.feed([other(800, 2)]);
    expect(run.finals.map((f) => f.client).filter((c) => c.endsWith(":40000"))).toEqual(["198.18.0.0:40000"]);
  });

  /** Established at t=0, parked at the sweep of t=400, then a segment at t=1000 from the client. */
  const resumed = (seg: Partial<SegmentSpec>): number => {
    const run = tracker();
    run.feed([
      ...established(0),
      other(400),
      { from: C, to: S, flags: ".", seq: 111, ack: 5001, win: 502, time: 1000, ...seg },
    ]);
    return finish(run).filter((f) => f.client.endsWith(":42501")).length;
  };

  it("a parked connection resumes within 2^26 of its sequence numbers, in both directions' fields", () => {
    expect(resumed({ seq: 111 + 2 ** 26 })).toBe(1);
    expect(resumed({ seq: 111 + 2 ** 26 + 1 })).toBe(2);
    expect(resumed({ ack: 5001 - 2 ** 26 })).toBe(1);
    expect(resumed({ ack: 5001 - 2 ** 26 - 1 })).toBe(2);
  });

  it("the ack field of a segment without ACK says nothing (a bare RST): it resumes the parked connection", () => {
    expect(resumed({ flags: "R", ack: 5001 + 2 ** 30 })).toBe(1);
  });

  it("an open connection is never split by a jump in its sequence numbers (a capture that missed 128 MB)", () => {
    const run = tracker();
    run.feed([
      ...established(0),
      { from: C, to: S, flags: "P.", seq: 111 + 2 ** 27, ack: 5001, win: 502, len: 10, time: 1 },
    ]);
    expect(finish(run).map((f) => f.packets)).toEqual([6]);
  });
});

describe("flush: what is left at the end, in start order, in batches", () => {
  it("closed, open and parked connections are finalised in the order they started", () => {
    const run = tracker();
    run.feed([
      ...established(0, "198.18.1.3:50000"), // 1: parked at t=400
      { from: C, to: S, flags: "S", seq: 10, win: 1, time: 399 }, // 2: open
      { from: "198.18.1.4:50001", to: S, flags: "S", seq: 10, win: 1, time: 399.5 }, // 3: reset below
      other(400),
      { from: S, to: "198.18.1.4:50001", flags: "R.", seq: 0, ack: 11, win: 0, time: 400.1 },
      { from: C, to: S, flags: "S", seq: 10, win: 1, time: 400.2 },
    ]);
    expect(finish(run).map((f) => f.seq)).toEqual([1, 2, 3, 4]);
  });

  it("flush(max) finalises at most max a call and says how many are left; the tracker then starts afresh", () => {
    const run = tracker({ reuse: true });
    run.feed([...established(0), other(0.5, 1), other(0.6, 2)]);
    expect(run.tracker.flush(2)).toBe(1);
    expect(run.finals.map((f) => f.seq)).toEqual([1, 2]);
    expect(run.tracker.flush(2)).toBe(0);
    expect(run.finals.map((f) => f.seq)).toEqual([1, 2, 3]);
    // More input after a complete flush (live mode's report, then more traffic) is tracked as new.
    run.feed([other(5, 4)]);
    expect(run.tracker.flush()).toBe(0);
    expect(run.finals.map((f) => [f.seq, f.packets])).toEqual([
      [1, 5],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
  });
});
