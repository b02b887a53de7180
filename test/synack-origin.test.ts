/**
 * synAckOrigin, fact by fact: who made the SYN-ACK (the server, or a NAT, SYN proxy or load balancer in front
 * of it), from connections built segment by segment. Each rule is checked on both sides of its boundary
 * (FAST_ANSWER_S = 2 ms, SLOW_LOCAL_ANSWER_S = 10 ms, the factor 4 between the SYN-ACK's delay and the data
 * round trip, 3 half-RTT samples, slirp's ISN step of 64000), with the verdict's kind, box, confidence and the
 * exact evidence lines users read. Times that meet at a boundary are chosen so their differences are exact
 * in binary floating point.
 */
import { describe, expect, it } from "vitest";
import type { Connection } from "../src/connections/connection.js";
import { ConnectionTracker } from "../src/connections/tracker.js";
import { synAckOrigin } from "../src/findings/synack-origin.js";
import { makeSegment, type SegmentSpec } from "./helpers/segments.js";

const C = "198.18.1.2:42501";
const S = "198.18.2.2:80";
const C6 = "[2001:db8::2]:42502";
const S6 = "[2001:db8::80]:443";
const CLIENT_ISN = 100;

interface Setup {
  /** TTL of the client's SYN: 64 captured at the client, below that captured further along. */
  synTtl?: number;
  /** Capture time of the SYN (default 1). */
  synAt?: number;
  /** Seconds from the SYN to the SYN-ACK (default 0.02). */
  delay?: number;
  synAckTtl?: number;
  /** The SYN-ACK's window field (default 64240). */
  win?: number;
  isn?: number;
  /** p0f-style option layout of the SYN-ACK. */
  layout?: string;
  /** The same SYN-ACK again, with this TTL, this many seconds after the first (and once more, `after` later again, at TTL `third`). */
  second?: { ttl: number; after: number; third?: number };
  /** The client's data segments and the server's ACK of each: [sent, acknowledged] capture times. */
  acks?: [number, number][];
  /** TTL of the one data segment the server sends at the end (none when undefined). */
  dataTtl?: number;
  /** Leave out the client's SYN (the capture started after it). */
  noSyn?: boolean;
  /** The server answers with a SYN of its own, no ACK (a simultaneous open). */
  serverSynOnly?: boolean;
  v6?: boolean;
}

/** One connection: SYN, SYN-ACK (and maybe a second one), the handshake ACK, client data the server ACKs. */
function specs(o: Setup): SegmentSpec[] {
  const c = o.v6 ? C6 : C;
  const s = o.v6 ? S6 : S;
  const isn = o.isn ?? 5000;
  const synAt = o.synAt ?? 1;
  const synAckAt = synAt + (o.delay ?? 0.02);
  const out: SegmentSpec[] = [];
  const synAck = (ttl: number, time: number): SegmentSpec => ({
    from: s,
    to: c,
    flags: o.serverSynOnly ? "S" : "S.",
    seq: isn,
    ack: o.serverSynOnly ? 0 : CLIENT_ISN + 1,
    win: o.win ?? 64240,
    time,
    ttl,
    mss: 1460,
    wscale: 7,
    layout: o.layout,
  });
  if (!o.noSyn) {
    out.push({ from: c, to: s, flags: "S", seq: CLIENT_ISN, win: 64240, time: synAt, ttl: o.synTtl ?? 64 });
  }
  out.push(synAck(o.synAckTtl ?? 64, synAckAt));
  if (o.second) out.push(synAck(o.second.ttl, synAckAt + o.second.after));
  if (o.second?.third) out.push(synAck(o.second.third, synAckAt + 2 * o.second.after));
  const afterSyn = Math.max(synAt, synAckAt + (o.second?.after ?? 0) * (o.second?.third ? 2 : 1));
  out.push({ from: c, to: s, flags: ".", seq: CLIENT_ISN + 1, ack: isn + 1, win: 502, time: afterSyn + 0.0001 });
  let seq = CLIENT_ISN + 1;
  let last = afterSyn + 0.0001;
  for (const [sent, acked] of o.acks ?? []) {
    out.push({ from: c, to: s, flags: "P.", seq, ack: isn + 1, win: 502, len: 100, time: sent });
    seq += 100;
    out.push({ from: s, to: c, flags: ".", seq: isn + 1, ack: seq, win: 501, time: acked });
    last = acked;
  }
  if (o.dataTtl !== undefined) {
    out.push({
      from: s,
      to: c,
      flags: "P.",
      seq: isn + 1,
      ack: seq,
      win: 501,
      len: 100,
      time: last + 0.5,
      ttl: o.dataTtl,
    });
  }
  return out.map((x, i) => ({ ...x, frame: i + 1 }));
}

function track(o: Setup): Connection {
  const conns: Connection[] = [];
  const tracker = new ConnectionTracker({ idleTimeout: 300, onFinal: (c) => conns.push(c) });
  for (const s of specs(o)) tracker.segment(makeSegment(s));
  tracker.flush();
  expect(conns).toHaveLength(1);
  return conns[0]!;
}

const origin = (o: Setup) => synAckOrigin(track(o));

/** Three client segments ACKed after `rtt` (the second and third after 2 x rtt): the data round trip is `rtt`. */
const roundTrips = (rtt: number, n = 3): [number, number][] =>
  [5, 6, 7].slice(0, n).map((t, i) => [t, t + (i === 0 ? rtt : 2 * rtt)]);

const ZERO_WINDOW = "SYN-ACK window 0: Linux SYNPROXY answers with window 0, a server's own stack never does";
const LINUX_SYNPROXY = "the SYN proxy (Linux SYNPROXY) in front of the server";
const SYN_PROXY = "a SYN proxy or load balancer in front of the server";
const NAT = "a NAT or proxy next to the client";
const SLIRP = "the VirtualBox/QEMU user-mode NAT (slirp) next to the client";
const slowLocal = (ttl: number, delay: string) =>
  `SYN-ACK TTL ${ttl} crossed no router, yet it came ${delay} after the SYN: the answer was made on this link, after a round trip further away`;
const fast = (delay: string, rtt: string) =>
  `the SYN-ACK came ${delay} after the SYN, the server's data round trips take at least ${rtt}`;

describe("nothing points to a box: null", () => {
  it("a healthy Linux SYN-ACK captured at the client: forwarded TTL 63, its data at 63, round trips like the handshake's", () => {
    const conn = track({
      synAckTtl: 63,
      layout: "mss,sok,ts,nop,ws",
      dataTtl: 63,
      acks: roundTrips(0.02),
    });
    expect(conn.server.halfRttSamples).toBe(3);
    expect(conn.server.dataTtl).toBe(63);
    expect(synAckOrigin(conn)).toBeNull();
  });

  it("no server data: the data TTL is unknown (0), not another TTL", () => {
    const conn = track({ synAckTtl: 63 });
    expect(conn.server.dataTtl).toBe(0);
    expect(synAckOrigin(conn)).toBeNull();
  });

  it("a SYN-ACK whose SYN is missing says nothing, even with window 0", () => {
    const conn = track({ noSyn: true, win: 0, synAckTtl: 64, delay: 0.05 });
    expect(conn.client.syn).toBeNull();
    expect(conn.server.syn!.window).toBe(0);
    expect(synAckOrigin(conn)).toBeNull();
  });

  it("a SYN without its SYN-ACK, and a simultaneous open (the server's SYN has no ACK): null", () => {
    const conns: Connection[] = [];
    const tracker = new ConnectionTracker({ idleTimeout: 300, onFinal: (c) => conns.push(c) });
    tracker.segment(makeSegment({ from: C, to: S, flags: "S", seq: CLIENT_ISN, win: 64240, time: 0, ttl: 64 }));
    tracker.flush();
    expect(conns[0]!.server.syn).toBeNull();
    expect(synAckOrigin(conns[0]!)).toBeNull();

    const conn = track({ serverSynOnly: true, win: 0, delay: 0.05 });
    expect(conn.server.syn!.synAck).toBe(false);
    expect(synAckOrigin(conn)).toBeNull();
  });

  it("the SYN-ACK sent again with the same TTL: one sender", () => {
    const conn = track({ synAckTtl: 63, second: { ttl: 63, after: 1 } });
    expect(conn.server.syn).not.toBe(conn.server.firstSyn);
    expect(synAckOrigin(conn)).toBeNull();
  });

  it("a second SYN-ACK of unknown TTL (0) is not another sender", () => {
    const conn = track({ synAckTtl: 63, second: { ttl: 0, after: 1 } });
    expect(conn.server.syn!.ttl).toBe(0);
    expect(synAckOrigin(conn)).toBeNull();
  });

  it("a SYN-ACK of unknown TTL (0) against data at 64: nothing to compare", () => {
    const conn = track({ synAckTtl: 0, dataTtl: 64, layout: "mss,sok,ts,nop,ws" });
    expect(conn.server.dataTtl).toBe(64);
    expect(synAckOrigin(conn)).toBeNull();
  });

  it("captured at the server (SYN TTL 60): its own slow SYN-ACK at TTL 64 crossed no router, as it should", () => {
    expect(origin({ synTtl: 60, synAckTtl: 64, delay: 0.05, acks: roundTrips(0.3) })).toBeNull();
  });

  it("a SYN of unknown TTL (0): no side known, a slow SYN-ACK at 64 accuses nothing", () => {
    expect(origin({ synTtl: 0, synAckTtl: 64, delay: 0.05 })).toBeNull();
  });

  it("a SYN-ACK at initial TTL just under 10 ms after the SYN: a server on this link", () => {
    expect(origin({ synAckTtl: 64, delay: 0.0099, isn: 9920001 })).toBeNull();
  });

  it("a fast SYN-ACK alone proves nothing (a server that delays its ACKs)", () => {
    expect(origin({ synAckTtl: 60, delay: 0.0015, acks: roundTrips(0.2) })).toBeNull();
  });
});

describe("Linux SYNPROXY: window 0", () => {
  it("window 0 alone: possible", () => {
    expect(origin({ win: 0, synAckTtl: 60 })).toEqual({
      kind: "linux-synproxy",
      confidence: "possible",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW],
    });
  });

  it("window 0 and a second SYN-ACK at another TTL: likely", () => {
    expect(origin({ win: 0, synAckTtl: 60, second: { ttl: 52, after: 1 } })).toEqual({
      kind: "linux-synproxy",
      confidence: "likely",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, "a later SYN-ACK (frame 3) came with TTL 52, the first with 60: two senders"],
    });
  });

  it("window 0 and data from further away: likely", () => {
    expect(origin({ win: 0, synAckTtl: 60, dataTtl: 52 })).toEqual({
      kind: "linux-synproxy",
      confidence: "likely",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, "SYN-ACK TTL 60, the server's data TTL 52: 8 hop(s) further than the SYN-ACK"],
    });
  });

  it("window 0 and a SYN-ACK far faster than the data round trip: likely", () => {
    expect(origin({ win: 0, synAckTtl: 60, delay: 0.0015, acks: roundTrips(0.2) })).toEqual({
      kind: "linux-synproxy",
      confidence: "likely",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, fast("1.5 ms", "200 ms")],
    });
  });

  it("window 0 on a slow SYN-ACK that crossed no router: still Linux SYNPROXY, not a NAT", () => {
    expect(origin({ win: 0, synAckTtl: 64, delay: 0.05 })).toEqual({
      kind: "linux-synproxy",
      confidence: "possible",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, slowLocal(64, "50 ms")],
    });
  });

  it("captured at the server (SYN TTL 60): no fast or slow-local reading, however the times look", () => {
    const conn = track({ win: 0, synTtl: 60, synAckTtl: 64, delay: 0.05, acks: roundTrips(0.3) });
    expect(conn.server.halfRttMin).toBeCloseTo(0.3, 9);
    expect(synAckOrigin(conn)).toEqual({
      kind: "linux-synproxy",
      confidence: "possible",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW],
    });
  });

  it("all of it over IPv6 (hop limits)", () => {
    expect(origin({ v6: true, win: 0, synAckTtl: 60, dataTtl: 61 })).toEqual({
      kind: "linux-synproxy",
      confidence: "likely",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, "SYN-ACK TTL 60, the server's data TTL 61: 1 hop(s) nearer than the SYN-ACK"],
    });
  });
});

describe("another SYN proxy: two senders, the data's TTL", () => {
  it("a second SYN-ACK at another TTL alone: possible", () => {
    expect(origin({ synAckTtl: 60, second: { ttl: 52, after: 1 } })).toEqual({
      kind: "syn-proxy",
      confidence: "possible",
      box: SYN_PROXY,
      evidence: ["a later SYN-ACK (frame 3) came with TTL 52, the first with 60: two senders"],
    });
  });

  it("two senders whatever came last: TTL 60, 52, 60 names the SYN-ACK at 52; 60, 60, 52 the third", () => {
    const twoSenders = (frame: number) => ({
      kind: "syn-proxy",
      confidence: "possible",
      box: SYN_PROXY,
      evidence: [`a later SYN-ACK (frame ${frame}) came with TTL 52, the first with 60: two senders`],
    });
    expect(origin({ synAckTtl: 60, second: { ttl: 52, after: 1, third: 60 } })).toEqual(twoSenders(3));
    expect(origin({ synAckTtl: 60, second: { ttl: 60, after: 1, third: 52 } })).toEqual(twoSenders(4));
    expect(origin({ synAckTtl: 60, second: { ttl: 60, after: 1, third: 60 } })).toBeNull();
  });

  it("data from further away than the SYN-ACK: possible", () => {
    expect(origin({ synAckTtl: 60, dataTtl: 50 })).toEqual({
      kind: "syn-proxy",
      confidence: "possible",
      box: SYN_PROXY,
      evidence: ["SYN-ACK TTL 60, the server's data TTL 50: 10 hop(s) further than the SYN-ACK"],
    });
  });

  it("data from nearer than the SYN-ACK: possible", () => {
    expect(origin({ synAckTtl: 50, dataTtl: 60 })).toEqual({
      kind: "syn-proxy",
      confidence: "possible",
      box: SYN_PROXY,
      evidence: ["SYN-ACK TTL 50, the server's data TTL 60: 10 hop(s) nearer than the SYN-ACK"],
    });
  });

  it("two senders and data from further away: likely", () => {
    expect(origin({ synAckTtl: 60, second: { ttl: 52, after: 1 }, dataTtl: 52 })).toEqual({
      kind: "syn-proxy",
      confidence: "likely",
      box: SYN_PROXY,
      evidence: [
        "a later SYN-ACK (frame 3) came with TTL 52, the first with 60: two senders",
        "SYN-ACK TTL 60, the server's data TTL 52: 8 hop(s) further than the SYN-ACK",
      ],
    });
  });

  it("data from further away and a fast SYN-ACK: likely", () => {
    expect(origin({ synAckTtl: 60, delay: 0.0015, acks: roundTrips(0.05), dataTtl: 52 })).toEqual({
      kind: "syn-proxy",
      confidence: "likely",
      box: SYN_PROXY,
      evidence: [
        "SYN-ACK TTL 60, the server's data TTL 52: 8 hop(s) further than the SYN-ACK",
        fast("1.5 ms", "50 ms"),
      ],
    });
  });
});

describe("the fast SYN-ACK, at each boundary (window 0: possible alone, likely with it)", () => {
  it("three half-RTT samples make a data round trip, two do not", () => {
    const two = track({ win: 0, synAckTtl: 60, delay: 0.0015, acks: roundTrips(0.2, 2) });
    expect(two.server.halfRttSamples).toBe(2);
    expect(synAckOrigin(two)).toEqual({
      kind: "linux-synproxy",
      confidence: "possible",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW],
    });
    const three = track({ win: 0, synAckTtl: 60, delay: 0.0015, acks: roundTrips(0.2, 3) });
    expect(three.server.halfRttSamples).toBe(3);
    expect(synAckOrigin(three)).toEqual({
      kind: "linux-synproxy",
      confidence: "likely",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, fast("1.5 ms", "200 ms")],
    });
  });

  it("the data round trip exactly 2 ms above the SYN-ACK's delay is not far slower; above it, it is", () => {
    // SYN and SYN-ACK at 0 (delay 0), ACKs 2 ms after the data: 0.003 - 0.001 and 0.012 - 0.01 are 0.002 exactly.
    const at: [number, number][] = [
      [0.001, 0.003],
      [0.01, 0.012],
      [0.1, 0.105],
    ];
    const conn = track({ win: 0, synAckTtl: 60, synAt: 0, delay: 0, acks: at });
    expect(conn.server.halfRttMin).toBe(0.002);
    expect(synAckOrigin(conn)).toEqual({
      kind: "linux-synproxy",
      confidence: "possible",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW],
    });
    const above: [number, number][] = [
      [0.001, 0.0031],
      [0.01, 0.0121],
      [0.1, 0.105],
    ];
    expect(origin({ win: 0, synAckTtl: 60, synAt: 0, delay: 0, acks: above })).toEqual({
      kind: "linux-synproxy",
      confidence: "likely",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, fast("0 us", "2.1 ms")],
    });
  });

  it("the 2 ms are counted from the SYN-ACK's delay, not added to it: 0.5 ms against 2.4 ms is not far slower", () => {
    const conn = track({ win: 0, synAckTtl: 60, delay: 0.0005, acks: roundTrips(0.0024) });
    expect(conn.server.halfRttMin).toBeCloseTo(0.0024, 9);
    expect(synAckOrigin(conn)).toEqual({
      kind: "linux-synproxy",
      confidence: "possible",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW],
    });
  });

  it("a data round trip exactly 4 times the SYN-ACK's delay is not far slower; a little more is", () => {
    // 2^-8 s against 2^-6 s: 4 x delay equals the round trip exactly.
    const exact = track({ win: 0, synAckTtl: 60, delay: 0.00390625, acks: roundTrips(0.015625) });
    expect(exact.server.halfRttMin).toBe(0.015625);
    expect(synAckOrigin(exact)).toEqual({
      kind: "linux-synproxy",
      confidence: "possible",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW],
    });
    expect(origin({ win: 0, synAckTtl: 60, delay: 0.0039, acks: roundTrips(0.015625) })).toEqual({
      kind: "linux-synproxy",
      confidence: "likely",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, fast("3.9 ms", "15.6 ms")],
    });
  });

  it("a SYN-ACK at the SYN's own time counts (delay 0); one recorded before its SYN does not", () => {
    expect(origin({ win: 0, synAckTtl: 60, delay: 0, acks: roundTrips(0.01) })).toEqual({
      kind: "linux-synproxy",
      confidence: "likely",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW, fast("0 us", "10 ms")],
    });
    // The capture timestamped the SYN-ACK 1 ms before the SYN it answers (two queues, two clocks).
    const reordered = track({ win: 0, synAckTtl: 60, synAt: 0.002, delay: -0.001, acks: roundTrips(0.01) });
    expect(reordered.server.syn!.time - reordered.client.syn!.time).toBeCloseTo(-0.001, 9);
    expect(synAckOrigin(reordered)).toEqual({
      kind: "linux-synproxy",
      confidence: "possible",
      box: LINUX_SYNPROXY,
      evidence: [ZERO_WINDOW],
    });
  });
});

describe("a slow SYN-ACK that crossed no router: a NAT or proxy next to the client", () => {
  it("at exactly 10 ms: a NAT or proxy, possible", () => {
    const conn = track({ synAckTtl: 64, synAt: 0, delay: 0.01 });
    expect(conn.server.syn!.time - conn.client.syn!.time).toBe(0.01);
    expect(synAckOrigin(conn)).toEqual({
      kind: "nat-or-proxy",
      confidence: "possible",
      box: NAT,
      evidence: [slowLocal(64, "10 ms")],
    });
  });

  it("at 255 (network equipment's initial TTL) as well", () => {
    expect(origin({ synAckTtl: 255, delay: 0.03 })).toEqual({
      kind: "nat-or-proxy",
      confidence: "possible",
      box: NAT,
      evidence: [slowLocal(255, "30 ms")],
    });
  });

  it("VirtualBox NAT: ISN 1 + 155 x 64000 after 117 ms, slirp, likely", () => {
    expect(origin({ synAckTtl: 64, delay: 0.117, isn: 9920001, layout: "mss" })).toEqual({
      kind: "slirp",
      confidence: "likely",
      box: SLIRP,
      evidence: [
        slowLocal(64, "117 ms"),
        "SYN-ACK ISN 9920001 = 1 + 155 x 64000: the ISN series of slirp (VirtualBox NAT, QEMU user-mode networking)",
      ],
    });
  });

  it("slirp's first ISN, 1", () => {
    expect(origin({ synAckTtl: 64, delay: 0.05, isn: 1 })).toEqual({
      kind: "slirp",
      confidence: "likely",
      box: SLIRP,
      evidence: [
        slowLocal(64, "50 ms"),
        "SYN-ACK ISN 1 = 1 + 0 x 64000: the ISN series of slirp (VirtualBox NAT, QEMU user-mode networking)",
      ],
    });
  });

  it("an ISN one off slirp's series either way: a NAT or proxy, possible", () => {
    for (const isn of [9920002, 9920000]) {
      expect(origin({ synAckTtl: 64, delay: 0.117, isn }), String(isn)).toEqual({
        kind: "nat-or-proxy",
        confidence: "possible",
        box: NAT,
        evidence: [slowLocal(64, "117 ms")],
      });
    }
  });

  it("an ISN of slirp's series on a SYN-ACK under 10 ms: not slirp", () => {
    expect(origin({ synAckTtl: 64, delay: 0.009, isn: 9920001, dataTtl: 60 })).toEqual({
      kind: "syn-proxy",
      confidence: "possible",
      box: SYN_PROXY,
      evidence: ["SYN-ACK TTL 64, the server's data TTL 60: 4 hop(s) further than the SYN-ACK"],
    });
  });

  it("a NAT or proxy whose data comes from further away: likely", () => {
    expect(origin({ synAckTtl: 64, delay: 0.04, dataTtl: 57 })).toEqual({
      kind: "nat-or-proxy",
      confidence: "likely",
      box: NAT,
      evidence: ["SYN-ACK TTL 64, the server's data TTL 57: 7 hop(s) further than the SYN-ACK", slowLocal(64, "40 ms")],
    });
  });

  it("a NAT or proxy with two SYN-ACK senders: likely", () => {
    expect(origin({ synAckTtl: 64, delay: 0.04, second: { ttl: 57, after: 1 } })).toEqual({
      kind: "nat-or-proxy",
      confidence: "likely",
      box: NAT,
      evidence: ["a later SYN-ACK (frame 3) came with TTL 57, the first with 64: two senders", slowLocal(64, "40 ms")],
    });
  });

  it("slirp with data from further away: the ISN comes after the data's TTL in the evidence", () => {
    expect(origin({ synAckTtl: 64, delay: 0.117, isn: 128001, dataTtl: 50 })).toEqual({
      kind: "slirp",
      confidence: "likely",
      box: SLIRP,
      evidence: [
        "SYN-ACK TTL 64, the server's data TTL 50: 14 hop(s) further than the SYN-ACK",
        slowLocal(64, "117 ms"),
        "SYN-ACK ISN 128001 = 1 + 2 x 64000: the ISN series of slirp (VirtualBox NAT, QEMU user-mode networking)",
      ],
    });
  });
});

describe("a known stack's layout from a host at another initial TTL: a load balancer", () => {
  const FOREIGN =
    "SYN-ACK options mss,sok,ts,nop,ws: the layout of Linux (initial TTL 64), not of a stack starting at 128: " +
    "a box on the path (NAT, proxy, load balancer) may have sent or rewritten it";

  it("Linux's layout at TTL 120 (initial 128): possible", () => {
    expect(origin({ synAckTtl: 120, layout: "mss,sok,ts,nop,ws" })).toEqual({
      kind: "load-balancer",
      confidence: "possible",
      box: "a load balancer or proxy in front of the server",
      evidence: [FOREIGN],
    });
  });

  it("the same layout at its own TTL (64 - 10 hops): Linux, null", () => {
    expect(origin({ synAckTtl: 54, layout: "mss,sok,ts,nop,ws" })).toBeNull();
  });

  it("with the data at another TTL, the SYN proxy reading wins and keeps the layout line", () => {
    expect(origin({ synAckTtl: 120, layout: "mss,sok,ts,nop,ws", dataTtl: 52 })).toEqual({
      kind: "syn-proxy",
      confidence: "possible",
      box: SYN_PROXY,
      evidence: ["SYN-ACK TTL 120, the server's data TTL 52: 68 hop(s) further than the SYN-ACK", FOREIGN],
    });
  });
});
