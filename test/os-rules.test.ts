/**
 * OS inference's own rules on one SYN at a time, at each branch: the initial TTL alone when the layout is
 * unknown or cut, a layout at the wrong TTL, the window hints (mss*N, with and without the 12 bytes of
 * timestamps), and the memo's field-by-field check. os.test.ts covers real stacks' SYNs end to end.
 */
import { describe, expect, it } from "vitest";
import type { SynInfo } from "../src/connections/endpoint.js";
import { inferOsFromSyn, initialTtlOf, sameSignature } from "../src/connections/os.js";

/** A Linux 6.x SYN: mss,sok,ts,nop,ws, window 64240 = 44 x 1460, TTL 64. */
const LINUX: SynInfo = {
  frame: { input: 0, frame: 1 },
  time: 0,
  isn: 1,
  window: 64240,
  wscale: { state: "present", shift: 7 },
  wscaleBadLength: null,
  mss: 1460,
  sackPermitted: true,
  timestamps: true,
  tsVal: 1,
  optionKinds: [2, 4, 8, 1, 3],
  longestNopRun: 1,
  optionsTruncated: false,
  corrupt: false,
  ttl: 64,
  ipId: 0,
  synAck: false,
};
const guess = (o: Partial<SynInfo>) => inferOsFromSyn({ ...LINUX, ...o });
const BSDS = ["linux", "macos", "freebsd", "netbsd", "openbsd", "solaris"];

describe("the initial TTL", () => {
  it("is the observed TTL rounded up to 32, 64, 128 or 255; unknown for 0", () => {
    expect([0, -1, 1, 32, 33, 64, 65, 128, 129, 255].map(initialTtlOf)).toEqual([
      null,
      null,
      32,
      32,
      64,
      64,
      128,
      128,
      255,
      255,
    ]);
  });

  it("alone, when no stack sends the layout: 128 is Windows', 255 Solaris', 64 is several families', 0 nothing", () => {
    const odd = (ttl: number) => guess({ optionKinds: [5, 5], ttl });
    expect(odd(120)).toEqual({
      family: "windows",
      confidence: "possible",
      evidence: ["SYN TTL 120: initial TTL 128, 8 hops away", "SYN options 5,5: no known stack sends this layout"],
      candidates: ["windows"],
    });
    expect(odd(250)).toMatchObject({ family: "solaris", confidence: "possible", candidates: ["solaris"] });
    expect(odd(63)).toEqual({
      family: "unknown",
      confidence: "none",
      evidence: ["SYN TTL 63: initial TTL 64, 1 hop away", "SYN options 5,5: no known stack sends this layout"],
      candidates: BSDS,
    });
    expect(odd(0)).toEqual({
      family: "unknown",
      confidence: "none",
      evidence: ["SYN options 5,5: no known stack sends this layout"],
      candidates: [],
    });
    expect(odd(30)).toEqual({
      family: "other",
      confidence: "possible",
      evidence: [
        "SYN TTL 30: initial TTL 32, 2 hops away",
        "SYN options 5,5: no known stack sends this layout",
        "initial TTL 32 is none of the stacks in the table (network equipment often starts at 255)",
      ],
      candidates: [],
    });
  });

  it("alone, when the options were cut by the snapshot length (even a layout Linux sends)", () => {
    expect(guess({ optionsTruncated: true, ttl: 128 })).toEqual({
      family: "windows",
      confidence: "possible",
      evidence: [
        "SYN TTL 128: initial, no router before the capture point",
        "SYN options cut by the snapshot length: the layout is unknown",
      ],
      candidates: ["windows"],
    });
  });

  it("a layout at a TTL its stacks do not start at: a box may have sent or rewritten it; no candidate", () => {
    expect(guess({ ttl: 128 })).toEqual({
      family: "unknown",
      confidence: "none",
      evidence: [
        "SYN TTL 128: initial, no router before the capture point",
        "SYN options mss,sok,ts,nop,ws: the layout of Linux (initial TTL 64), not of a stack starting at 128: a box on the path (NAT, proxy, load balancer) may have sent or rewritten it",
      ],
      candidates: [],
    });
  });

  it("at or below 32 a 64 from far away; without a TTL at most possible", () => {
    expect(guess({ ttl: 20 })).toMatchObject({ family: "linux", confidence: "likely" });
    expect(guess({ ttl: 0 })).toEqual({
      family: "linux",
      confidence: "possible",
      evidence: ["SYN options mss,sok,ts,nop,ws: Linux 2.6-6.x", "window 64240 = 44 x MSS 1460: typical of Linux"],
      candidates: ["linux"],
    });
  });
});

describe("the window against each stack's typical values", () => {
  const hint = (o: Partial<SynInfo>) => guess(o).evidence.find((e) => e.startsWith("window ")) ?? null;

  it("mss*44: 44 segments of the MSS, or of the MSS less the 12 bytes of timestamps (only with timestamps)", () => {
    expect(hint({})).toBe("window 64240 = 44 x MSS 1460: typical of Linux");
    expect(hint({ window: 44 * 1448 })).toBe("window 63712 = 44 x (MSS 1460 - 12): typical of Linux");
    expect(hint({ window: 44 * 1448, timestamps: false })).toBeNull();
    expect(hint({ window: 64241 })).toBeNull();
  });

  it("no hint without an MSS above 12, or with a window of 0", () => {
    expect(hint({ mss: null })).toBeNull();
    expect(hint({ mss: 12, window: 44 * 12 })).toBeNull();
    expect(hint({ mss: 13, window: 44 * 13 })).toBe("window 572 = 44 x MSS 13: typical of Linux");
    expect(hint({ window: 0 })).toBeNull();
  });

  it("a layout without the hint is still Linux's alone: likely; with the TTL unknown, possible", () => {
    expect(guess({ window: 64241 })).toMatchObject({ family: "linux", confidence: "likely" });
    expect(guess({ window: 64241, ttl: 0 })).toMatchObject({ family: "linux", confidence: "possible" });
  });
});

describe("the memo's check of a hit", () => {
  it("equal in every field it depends on; any one different is another signature", () => {
    expect(sameSignature(LINUX, { ...LINUX, isn: 99, time: 5, frame: { input: 1, frame: 9 } })).toBe(true);
    const others: Partial<SynInfo>[] = [
      { ttl: 63 },
      { window: 64241 },
      { mss: 1400 },
      { mss: null },
      { synAck: true },
      { timestamps: false },
      { optionsTruncated: true },
      { optionKinds: [2, 4, 8, 1] },
      { optionKinds: [2, 4, 8, 1, 3, 0] },
      { optionKinds: [2, 4, 8, 3, 1] },
      { optionKinds: [1, 4, 8, 1, 3] },
    ];
    for (const o of others) expect(sameSignature(LINUX, { ...LINUX, ...o }), JSON.stringify(o)).toBe(false);
  });
});
