/**
 * Where a capture was taken, from the TTLs of the two SYNs, and whether a peer's stack surely
 * supports scaling: scale-stripped and scale-declined rest on both (they decide whether the path
 * or the server itself is blamed).
 */
import { describe, expect, it } from "vitest";
import { hasInitialTtl, looksModern, vantage } from "../src/findings/vantage.js";
import { type SegmentSpec, trackConnection as track } from "./helpers/segments.js";

const C = "198.18.1.2:40000";
const S = "198.18.2.2:443";

const syn = (ttl: number, extra: Partial<SegmentSpec> = {}): SegmentSpec => ({
  from: C,
  to: S,
  flags: "S",
  seq: 1000,
  win: 64240,
  ttl,
  time: 0,
  ...extra,
});
const synAck = (ttl: number, extra: Partial<SegmentSpec> = {}): SegmentSpec => ({
  from: S,
  to: C,
  flags: "S.",
  seq: 5000,
  ack: 1001,
  win: 65160,
  ttl,
  time: 0.02,
  ...extra,
});

describe("the capture point, from the TTLs of the SYN and the SYN-ACK", () => {
  it("initial TTLs are 32, 64, 128 and 255; one below is not", () => {
    expect([31, 32, 63, 64, 127, 128, 254, 255].map(hasInitialTtl)).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it.each([
    [64, 52, "client"],
    [128, 110, "client"],
    [60, 64, "server"],
    [118, 255, "server"],
    [60, 52, "path"],
    [64, 64, "unknown"], // both still at their initial TTL: the same host, or no router between
  ] as const)("SYN TTL %i, SYN-ACK TTL %i: %s", (c, s, where) => {
    expect(vantage(track([syn(c), synAck(s)]))).toBe(where);
  });

  it("without the SYN, or without the SYN-ACK, it is unknown", () => {
    expect(vantage(track([synAck(52)]))).toBe("unknown");
    expect(vantage(track([syn(64)]))).toBe("unknown");
  });
});

describe("a peer that surely supports window scaling", () => {
  it.each([
    ["SACK-permitted", { sackOK: true }, true],
    ["timestamps", { ts: [1, 1] as [number, number] }, true],
    ["both", { sackOK: true, ts: [1, 1] as [number, number] }, true],
    ["MSS alone", { mss: 1460 }, false],
  ] as const)("a SYN-ACK with %s: %s", (_what, options, modern) => {
    const conn = track([syn(64, { sackOK: true, ts: [1, 0], wscale: 7 }), synAck(52, options)]);
    expect(looksModern(conn.server)).toBe(modern);
  });

  it("a side whose SYN was not captured is not known to", () => {
    const conn = track([
      syn(64, { sackOK: true, ts: [1, 0] }),
      { from: S, to: C, flags: ".", seq: 5001, ack: 1001, win: 1 },
    ]);
    expect(looksModern(conn.server)).toBe(false);
    expect(looksModern(conn.client)).toBe(true);
  });
});
