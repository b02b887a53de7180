import { describe, expect, it } from "vitest";
import { decodeFrame } from "../src/decode/decode-frame.js";
import { LinkType } from "../src/decode/link.js";
import { OptionsState, TcpSegment } from "../src/decode/segment.js";
import { DecodeStatus } from "../src/decode/status.js";
import { decodeTcpOptions } from "../src/decode/tcp-options.js";
import { ethernet, frameOf, hex, ipv4, linuxSynOptions, opt, SYN, tcp } from "./helpers/capture-builder.js";

const LEAD = 5;

/**
 * Walk `options` placed at offset 5 of a buffer padded with 0xee on both sides, as if the TCP
 * header ended right after them and `present` bytes of them were captured.
 */
function walk(options: readonly number[] | Uint8Array, present = options.length, seg = new TcpSegment()) {
  const b = new Uint8Array(LEAD + options.length + 8).fill(0xee);
  b.set(options, LEAD);
  decodeTcpOptions(b, LEAD, LEAD + options.length, LEAD + present, seg);
  return seg;
}

function kinds(seg: TcpSegment): number[] {
  return [...seg.optionKinds.subarray(0, seg.optionCount)];
}

function summary(seg: TcpSegment) {
  return {
    state: seg.optionsState,
    kinds: kinds(seg),
    mss: seg.mss,
    wscale: seg.wscale,
    wscaleLength: seg.wscaleLength,
    wscaleCount: seg.wscaleCount,
    sackPermitted: seg.sackPermitted,
    hasTimestamp: seg.hasTimestamp,
    longestNopRun: seg.longestNopRun,
  };
}

const LINUX_SYN = hex("020405b4 0402 080a 00a1b2c3 00000000 01 030307");

describe("TCP options: real layouts", () => {
  it("a Linux SYN: MSS, SACK permitted, timestamps, NOP, window scale 7", () => {
    expect([...LINUX_SYN]).toEqual(linuxSynOptions({ tsVal: 0xa1b2c3 }));
    const seg = walk(LINUX_SYN);
    expect(summary(seg)).toEqual({
      state: OptionsState.Complete,
      kinds: [2, 4, 8, 1, 3],
      mss: 1460,
      wscale: 7,
      wscaleLength: 3,
      wscaleCount: 1,
      sackPermitted: true,
      hasTimestamp: true,
      longestNopRun: 1,
    });
    expect([seg.tsVal, seg.tsEcr, seg.sackCount]).toEqual([0xa1b2c3, 0, 0]);
  });

  it("a Windows SYN-ACK: MSS, NOP, window scale 8, NOP, NOP, SACK permitted", () => {
    expect(summary(walk(hex("020405b4 01 030308 0101 0402")))).toEqual({
      state: OptionsState.Complete,
      kinds: [2, 1, 3, 1, 1, 4],
      mss: 1460,
      wscale: 8,
      wscaleLength: 3,
      wscaleCount: 1,
      sackPermitted: true,
      hasTimestamp: false,
      longestNopRun: 2,
    });
  });

  it("a macOS SYN: MSS, NOP, window scale 6, NOP, NOP, timestamps, SACK permitted, EOL, EOL", () => {
    const seg = walk(hex("020405b4 01 030306 0101 080a 5f5e100f 00000000 0402 0000"));
    expect(summary(seg)).toEqual({
      state: OptionsState.Complete,
      kinds: [2, 1, 3, 1, 1, 8, 4, 0],
      mss: 1460,
      wscale: 6,
      wscaleLength: 3,
      wscaleCount: 1,
      sackPermitted: true,
      hasTimestamp: true,
      longestNopRun: 2,
    });
    expect(seg.tsVal).toBe(0x5f5e100f);
  });

  it("a Linux SYN-ACK answering a SYN without timestamps: MSS, NOP, NOP, SACK permitted, NOP, window scale", () => {
    expect(summary(walk(hex("020405b4 0101 0402 01 030307")))).toMatchObject({
      kinds: [2, 1, 1, 4, 1, 3],
      wscale: 7,
      longestNopRun: 2,
      state: OptionsState.Complete,
    });
  });
});

describe("TCP options: EOL and NOP", () => {
  it("EOL ends the walk: a window scale after it is not read", () => {
    expect(summary(walk(hex("020405b4 00 030307")))).toMatchObject({
      state: OptionsState.Complete,
      kinds: [2, 0],
      mss: 1460,
      wscale: -1,
      wscaleCount: 0,
    });
  });

  it("EOL first: nothing else counts", () => {
    expect(summary(walk(hex("00 020405b4 030307")))).toMatchObject({ kinds: [0], mss: -1, wscale: -1 });
  });

  it("a window scale a middlebox overwrote with NOPs: a run of 4 with the NOP before it", () => {
    const stripped = hex("020405b4 0402 080a 00a1b2c3 00000000 01 010101");
    expect(summary(walk(stripped))).toMatchObject({
      state: OptionsState.Complete,
      kinds: [2, 4, 8, 1, 1, 1, 1],
      wscale: -1,
      wscaleCount: 0,
      longestNopRun: 4,
      hasTimestamp: true,
    });
  });

  it("longestNopRun is the longest run, not the last one", () => {
    expect(walk(hex("010101 020405b4 01")).longestNopRun).toBe(3);
    expect(walk(hex("01 020405b4 0101")).longestNopRun).toBe(2);
    expect(walk(hex("020405b4")).longestNopRun).toBe(0);
  });

  it("40 NOPs fill the kinds list exactly", () => {
    const seg = walk(new Array<number>(40).fill(1));
    expect([seg.optionCount, seg.longestNopRun, seg.optionsState]).toEqual([40, 40, OptionsState.Complete]);
  });
});

describe("TCP options: cut by the snapshot length (unknown, not absent)", () => {
  it("cut right before the NOP and window scale: what was seen is kept, wscale stays -1, state Truncated", () => {
    expect(summary(walk(LINUX_SYN, 16))).toEqual({
      state: OptionsState.Truncated,
      kinds: [2, 4, 8],
      mss: 1460,
      wscale: -1,
      wscaleLength: 0,
      wscaleCount: 0,
      sackPermitted: true,
      hasTimestamp: true,
      longestNopRun: 0,
    });
  });

  it("cut after the NOP, between window scale's kind and length, and inside its value", () => {
    expect(summary(walk(LINUX_SYN, 17))).toMatchObject({ state: OptionsState.Truncated, kinds: [2, 4, 8, 1] });
    expect(summary(walk(LINUX_SYN, 18))).toMatchObject({
      state: OptionsState.Truncated,
      kinds: [2, 4, 8, 1, 3],
      wscale: -1,
      wscaleCount: 0,
    });
    expect(summary(walk(LINUX_SYN, 19))).toMatchObject({ state: OptionsState.Truncated, wscale: -1, wscaleCount: 0 });
    expect(summary(walk(LINUX_SYN, 20))).toMatchObject({ state: OptionsState.Complete, wscale: 7 });
  });

  it("cut inside the timestamps: no timestamp, Truncated", () => {
    expect(summary(walk(LINUX_SYN, 10))).toMatchObject({
      state: OptionsState.Truncated,
      kinds: [2, 4, 8],
      mss: 1460,
      sackPermitted: true,
      hasTimestamp: false,
    });
  });

  it("nothing captured: Truncated with no options seen", () => {
    expect(summary(walk(LINUX_SYN, 0))).toMatchObject({ state: OptionsState.Truncated, kinds: [], mss: -1 });
  });

  it("a Linux SYN in an Ethernet frame cut by the snaplen after the timestamps", () => {
    const pkt = ethernet(ipv4(tcp({ flags: SYN, options: linuxSynOptions() })));
    const seg = new TcpSegment();
    expect(decodeFrame(frameOf(LinkType.ETHERNET, pkt, { caplen: 14 + 20 + 20 + 16 }), seg)).toBe(DecodeStatus.Ok);
    expect([seg.optionsState, seg.wscale, seg.mss, seg.hasTimestamp, seg.headerLength]).toEqual([
      OptionsState.Truncated,
      -1,
      1460,
      true,
      40,
    ]);
    expect(decodeFrame(frameOf(LinkType.ETHERNET, pkt, { caplen: pkt.length }), seg)).toBe(DecodeStatus.Ok);
    expect([seg.optionsState, seg.wscale]).toEqual([OptionsState.Complete, 7]);
  });
});

describe("TCP options: malformed", () => {
  it("a length byte of 0 or 1 stops the walk", () => {
    expect(summary(walk(hex("0200 020405b4")))).toMatchObject({ state: OptionsState.Malformed, kinds: [2], mss: -1 });
    expect(summary(walk(hex("020405b4 0301 07 01")))).toMatchObject({
      state: OptionsState.Malformed,
      kinds: [2, 3],
      mss: 1460,
      wscale: -1,
      wscaleCount: 0,
    });
  });

  it("an option running past the end of the header", () => {
    expect(summary(walk(hex("01 080a 00000001")))).toMatchObject({
      state: OptionsState.Malformed,
      kinds: [1, 8],
      hasTimestamp: false,
    });
    // Running past the header wins over being cut by the snaplen.
    expect(walk(hex("01 080a 00000001"), 4).optionsState).toBe(OptionsState.Malformed);
  });

  it("a kind in the header's last byte, with no room for its length", () => {
    expect(summary(walk(hex("010101 03")))).toMatchObject({
      state: OptionsState.Malformed,
      kinds: [1, 1, 1, 3],
      longestNopRun: 3,
    });
  });

  it("a malformed option in a frame: the segment is still decoded", () => {
    const pkt = ipv4(tcp({ flags: SYN, options: [...opt.mss(1400), 3, 0, 7, 0] }));
    const seg = new TcpSegment();
    expect(decodeFrame(frameOf(LinkType.RAW, pkt), seg)).toBe(DecodeStatus.Ok);
    expect([seg.optionsState, seg.mss, seg.wscale]).toEqual([OptionsState.Malformed, 1400, -1]);
  });
});

describe("TCP options: window scale, SACK, timestamps, MSS", () => {
  it("window scale with length 4: the shift is read, wscaleLength is 4", () => {
    expect(summary(walk(hex("03040700 01010101")))).toMatchObject({
      state: OptionsState.Complete,
      wscale: 7,
      wscaleLength: 4,
      wscaleCount: 1,
    });
  });

  it("window scale with length 2: no shift to read, wscaleLength 2", () => {
    expect(summary(walk(hex("0302 0101")))).toMatchObject({ wscale: -1, wscaleLength: 2, wscaleCount: 1 });
  });

  it("a shift above 14 is kept as carried", () => {
    expect(walk(hex("01 03030f")).wscale).toBe(15);
    expect(walk(hex("01 0303ff")).wscale).toBe(255);
  });

  it("two window-scale options: both counted, the last one's shift", () => {
    expect(summary(walk(hex("030302 030309 0000")))).toMatchObject({ wscale: 9, wscaleLength: 3, wscaleCount: 2 });
  });

  it("SACK blocks: one, and four (the most 40 option bytes hold), unsigned edges", () => {
    const one = walk([1, 1, ...opt.sack([[0xfffffff0, 0x00000010]])]);
    expect([one.sackCount, ...one.sack.subarray(0, 2)]).toEqual([1, 0xfffffff0, 0x10]);
    const blocks: [number, number][] = [
      [1, 2],
      [0x80000000, 0x80000100],
      [0xfffffffe, 0xffffffff],
      [100, 200],
    ];
    const four = walk([1, 1, ...opt.sack(blocks)]);
    expect(four.optionsState).toBe(OptionsState.Complete);
    expect([four.sackCount, ...four.sack]).toEqual([4, ...blocks.flat()]);
  });

  it("an oversized SACK option reads at most four blocks", () => {
    const five: [number, number][] = [
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ];
    const seg = walk(opt.sack(five));
    expect([seg.sackCount, ...seg.sack]).toEqual([4, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("a SACK option whose length is not 2+8n: whole blocks only", () => {
    const seg = walk(hex("050d 00000001 00000002 aabbcc 00"));
    expect([seg.sackCount, seg.sack[0], seg.sack[1], seg.optionsState]).toEqual([1, 1, 2, OptionsState.Complete]);
  });

  it("timestamps: unsigned 32-bit values; a wrong length is skipped but the walk goes on", () => {
    const seg = walk(opt.timestamp(0xffffffff, 0x80000001).concat([1, 1]));
    expect([seg.hasTimestamp, seg.tsVal, seg.tsEcr]).toEqual([true, 0xffffffff, 0x80000001]);
    expect(summary(walk(hex("0808 00000001 0000 030305")))).toMatchObject({
      hasTimestamp: false,
      wscale: 5,
      state: OptionsState.Complete,
    });
  });

  it("MSS with a wrong length is ignored; unknown options are stepped over by their length", () => {
    expect(summary(walk(hex("020305 030307 00")))).toMatchObject({ mss: -1, wscale: 7, kinds: [2, 3, 0] });
    // MPTCP (30), TFO cookie (34), experimental (254), then window scale.
    expect(summary(walk(hex("1e0c 00112233445566778899 2202 fe06 f989 0000 030304 00")))).toMatchObject({
      kinds: [30, 34, 254, 3, 0],
      wscale: 4,
      state: OptionsState.Complete,
    });
  });

  it("a reused segment forgets the previous packet's options", () => {
    const seg = walk(hex("020405b4 0402 080a 00000001 00000002 01 030307 050a 00000001 00000002"));
    expect([seg.mss, seg.wscale, seg.sackCount, seg.hasTimestamp]).toEqual([1460, 7, 1, true]);
    walk(hex("01010101"), 4, seg);
    expect(summary(seg)).toEqual({
      state: OptionsState.Complete,
      kinds: [1, 1, 1, 1],
      mss: -1,
      wscale: -1,
      wscaleLength: 0,
      wscaleCount: 0,
      sackPermitted: false,
      hasTimestamp: false,
      longestNopRun: 4,
    });
    expect(seg.sackCount).toBe(0);
  });
});

describe("TCP options: the nop, nop, timestamps fast path gives what the walk gives", () => {
  // The block of almost every data segment of a Linux, BSD or macOS connection: 12 bytes.
  const DATA = hex("0101 080a fedcba98 80112233");
  const full = (seg: TcpSegment) => ({ ...summary(seg), tsVal: seg.tsVal, tsEcr: seg.tsEcr });

  it("a data segment's block: both values exact and unsigned, kinds nop, nop, TS, a NOP run of 2", () => {
    expect(full(walk(DATA))).toEqual({
      state: OptionsState.Complete,
      kinds: [1, 1, 8],
      mss: -1,
      wscale: -1,
      wscaleLength: 0,
      wscaleCount: 0,
      sackPermitted: false,
      hasTimestamp: true,
      longestNopRun: 2,
      tsVal: 0xfedcba98,
      tsEcr: 0x80112233,
    });
    // The same values through the general walk (the block one byte longer, so not the fast path).
    expect(full(walk([...DATA, 0]))).toEqual({ ...full(walk(DATA)), kinds: [1, 1, 8, 0] });
  });

  it("12 bytes that are not exactly nop, nop, TS of length 10 take the general walk", () => {
    // Timestamps first, the NOPs after.
    expect(full(walk(hex("080a fedcba98 80112233 0101")))).toMatchObject({
      kinds: [8, 1, 1],
      hasTimestamp: true,
      tsVal: 0xfedcba98,
      longestNopRun: 2,
    });
    // A NOP then EOL: nothing after the EOL is read.
    expect(full(walk(hex("0100 080a fedcba98 80112233")))).toMatchObject({ kinds: [1, 0], hasTimestamp: false });
    // EOL first, NOP second.
    expect(full(walk(hex("0001 080a fedcba98 80112233")))).toMatchObject({ kinds: [0], hasTimestamp: false });
    // MSS where the timestamps kind would be (its length 10 runs to the end): no timestamps.
    expect(full(walk(hex("0101 020a fedcba98 80112233")))).toMatchObject({ kinds: [1, 1, 2], hasTimestamp: false });
    // A timestamps option of length 11 runs past the block: malformed.
    expect(full(walk(hex("0101 080b fedcba98 80112233")))).toMatchObject({
      state: OptionsState.Malformed,
      hasTimestamp: false,
    });
    // Length 9: skipped, and the walk goes on from its end.
    expect(full(walk(hex("0101 0809 fedcba98 801122 01")))).toMatchObject({ kinds: [1, 1, 8, 1], hasTimestamp: false });
  });

  it("the same 12 bytes cut by the snapshot length, or in a longer block, are not read as whole", () => {
    expect(full(walk(DATA, 11))).toMatchObject({
      state: OptionsState.Truncated,
      hasTimestamp: false,
      kinds: [1, 1, 8],
    });
    expect(full(walk([...DATA, 1, 1, 1, 1]))).toMatchObject({ kinds: [1, 1, 8, 1, 1, 1, 1], longestNopRun: 4 });
  });

  it("cut between an option's kind and its length: truncated, whatever the byte after the cut holds", () => {
    // The uncaptured length byte is 1 (below the minimum) and 4: unknown either way, not malformed.
    expect(summary(walk(hex("0201 05b4"), 1))).toMatchObject({ state: OptionsState.Truncated, kinds: [2], mss: -1 });
    expect(summary(walk(hex("0204 05b4"), 1))).toMatchObject({ state: OptionsState.Truncated, kinds: [2], mss: -1 });
  });
});
