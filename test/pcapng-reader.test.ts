import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectFormat } from "../src/capture/open.js";
import { PcapngReader } from "../src/capture/pcapng.js";
import {
  BLOCK,
  bytes,
  customBlock,
  type Endian,
  epb,
  everyByte,
  type FrameCopy,
  hex,
  idb,
  isb,
  LINKTYPE,
  nrb,
  opb,
  pattern,
  pcapFile,
  pcapngBlock,
  readChunks,
  shb,
  spb,
  toHex,
  u16,
  u32,
} from "./helpers/capture-builder.js";

const T0 = 1_700_000_000;

function read(input: Uint8Array, cuts: number[] = []) {
  return readChunks(new PcapngReader(), input, cuts);
}

/** Concatenate blocks and return the file plus each block's absolute offset. */
function layout(...blocks: Uint8Array[]): { file: Uint8Array; at: number[] } {
  const at: number[] = [];
  let o = 0;
  for (const b of blocks) {
    at.push(o);
    o += b.length;
  }
  return { file: bytes(...blocks), at };
}

describe("PcapngReader: a file written by hand", () => {
  it("reads SHB + IDB + EPB (little-endian) byte for byte", () => {
    const file = hex(`
      0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000
      01000000 14000000 0100 0000 00000400 14000000
      06000000 24000000 00000000 05e80500 40e20100 03000000 3c000000 aabbcc00 24000000`);
    const reader = new PcapngReader();
    const r = readChunks(reader, file);
    expect(r.error).toBeNull();
    expect(r.warnings).toEqual([]);
    // Timestamp 0x0005e805_0001e240 µs = 1652000153.223744... s: high word 0x0005e805, low 0x0001e240.
    const us = 0x0005e805 * 2 ** 32 + 0x0001e240;
    expect(r.frames).toEqual([
      {
        number: 1,
        sec: Math.floor(us / 1e6),
        nsec: (us % 1e6) * 1000,
        linkType: 1,
        interfaceId: 0,
        caplen: 3,
        origLen: 60,
        fileOffset: 48,
        bytes: "aabbcc",
      },
    ]);
    expect(reader.linkTypes).toEqual([1]);
  });

  it("reads SHB + IDB + EPB (big-endian) byte for byte", () => {
    const file = hex(`
      0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c
      00000001 00000014 0065 0000 0000ffff 00000014
      00000006 00000024 00000000 00000000 0000000a 00000002 00000002 45000000 00000024`);
    const r = read(file);
    expect(r.error).toBeNull();
    expect(r.frames).toEqual([
      {
        number: 1,
        sec: 0,
        nsec: 10_000,
        linkType: 101,
        interfaceId: 0,
        caplen: 2,
        origLen: 2,
        fileOffset: 48,
        bytes: "4500",
      },
    ]);
  });
});

describe("PcapngReader: sections, interfaces and timestamps", () => {
  it("two sections with different byte orders, each with its own interfaces (ids restart at 0)", () => {
    const { file, at } = layout(
      shb("le"),
      idb("le", { linkType: LINKTYPE.ETHERNET }),
      idb("le", { linkType: LINKTYPE.LINUX_SLL2, tsresol: 9 }),
      epb("le", { interfaceId: 1, timestamp: BigInt(T0) * 1_000_000_000n + 5n, data: pattern(50, 1) }),
      epb("le", { interfaceId: 0, timestamp: BigInt(T0) * 1_000_000n + 7n, data: pattern(51, 2) }),
      shb("be"),
      idb("be", { linkType: LINKTYPE.RAW, tsresol: 3 }),
      epb("be", { interfaceId: 0, timestamp: BigInt(T0 + 9) * 1000n + 250n, data: pattern(52, 3) }),
    );
    const reader = new PcapngReader();
    const r = readChunks(reader, file);
    expect(r.error).toBeNull();
    expect(r.warnings).toEqual([]);
    expect(r.frames.map((f) => [f.number, f.interfaceId, f.linkType, f.sec, f.nsec, f.fileOffset, f.bytes])).toEqual([
      [1, 1, 276, T0, 5, at[3], toHex(pattern(50, 1))],
      [2, 0, 1, T0, 7000, at[4], toHex(pattern(51, 2))],
      [3, 0, 101, T0 + 9, 250_000_000, at[7], toHex(pattern(52, 3))],
    ]);
    expect(reader.linkTypes).toEqual([1, 276, 101]);
  });

  it("a second section forgets the first section's interfaces", () => {
    const { file, at } = layout(
      shb("be"),
      idb("be", { linkType: 1 }),
      idb("be", { linkType: 1 }),
      shb("le"),
      idb("le", { linkType: 101 }),
      epb("le", { interfaceId: 1, data: pattern(20) }),
      epb("le", { interfaceId: 0, data: pattern(21) }),
    );
    const r = read(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([at[6]]);
    expect(r.warnings).toEqual([{ offset: at[5], message: expect.stringContaining("interface 1") }]);
  });

  // if_tsresol: µs when absent, 10^-n, or 2^-n with the top bit set; if_tsoffset: seconds added.
  const tsCases: { name: string; tsresol?: number; tsoffset?: bigint; ts: bigint; sec: number; nsec: number }[] = [
    { name: "µs (no if_tsresol)", ts: BigInt(T0) * 1_000_000n + 123_456n, sec: T0, nsec: 123_456_000 },
    { name: "µs (if_tsresol 6)", tsresol: 6, ts: BigInt(T0) * 1_000_000n + 999_999n, sec: T0, nsec: 999_999_000 },
    { name: "ns", tsresol: 9, ts: BigInt(T0) * 1_000_000_000n + 987_654_321n, sec: T0, nsec: 987_654_321 },
    { name: "ms", tsresol: 3, ts: BigInt(T0) * 1000n + 1n, sec: T0, nsec: 1_000_000 },
    { name: "seconds", tsresol: 0, ts: BigInt(T0), sec: T0, nsec: 0 },
    { name: "2^-3 s", tsresol: 0x83, ts: BigInt(T0) * 8n + 3n, sec: T0, nsec: 375_000_000 },
    { name: "2^-20 s", tsresol: 0x94, ts: BigInt(T0) * 1_048_576n + 524_288n, sec: T0, nsec: 500_000_000 },
    { name: "2^-30 s", tsresol: 0x9e, ts: BigInt(T0) * 2n ** 30n + 2n ** 28n, sec: T0, nsec: 250_000_000 },
    { name: "µs + if_tsoffset", tsoffset: 3600n, ts: BigInt(T0) * 1_000_000n + 1n, sec: T0 + 3600, nsec: 1000 },
    { name: "ns + if_tsoffset", tsresol: 9, tsoffset: BigInt(T0), ts: 1_500_000_000n, sec: T0 + 1, nsec: 500_000_000 },
    // 2^64 ps is only 213 days: picosecond clocks count from an if_tsoffset.
    {
      name: "ps + if_tsoffset",
      tsresol: 12,
      tsoffset: BigInt(T0),
      ts: 5n * 10n ** 12n + 123_456_789_012n,
      sec: T0 + 5,
      nsec: 123_456_789,
    },
  ];
  for (const e of ["le", "be"] as Endian[]) {
    for (const c of tsCases) {
      it(`${c.name} (${e}): sec ${c.sec}, nsec ${c.nsec}`, () => {
        const file = bytes(
          shb(e),
          idb(e, { linkType: 1, tsresol: c.tsresol, tsoffset: c.tsoffset }),
          epb(e, { timestamp: c.ts, data: pattern(14) }),
        );
        const r = read(file);
        expect(r.warnings).toEqual([]);
        expect(r.frames.map((f) => [f.sec, f.nsec])).toEqual([[c.sec, c.nsec]]);
      });
    }
  }

  it("a negative if_tsoffset (it is a signed 64-bit value) moves timestamps back", () => {
    for (const e of ["le", "be"] as Endian[]) {
      const file = bytes(
        shb(e),
        idb(e, { linkType: 1, tsoffset: -3600n }),
        epb(e, { timestamp: BigInt(T0) * 1_000_000n, data: pattern(14) }),
      );
      expect(read(file).frames.map((f) => [f.sec, f.nsec])).toEqual([[T0 - 3600, 0]]);
    }
  });

  for (const [name, tsresol, units] of [
    ["2^-31", 0x9f, 2n ** 31n],
    ["10^-10", 10, 10n ** 10n],
  ] as const) {
    it(`nanoseconds stay below 1e9 for the last ${name} s unit of a second`, () => {
      const file = bytes(
        shb("le"),
        idb("le", { linkType: 1, tsresol }),
        epb("le", { timestamp: BigInt(T0) * units + units - 1n, data: pattern(14) }),
      );
      const [f] = read(file).frames;
      // Within a nanosecond of T0 + (units-1)/units, and a valid (sec, nsec) pair.
      expect([
        [T0, 999_999_999],
        [T0 + 1, 0],
      ]).toContainEqual([f!.sec, f!.nsec]);
    });
  }

  it("interfaces in one section each keep their own resolution and offset", () => {
    const file = bytes(
      shb("le"),
      idb("le", { linkType: 1 }),
      idb("le", { linkType: 1, tsresol: 9, tsoffset: 100n }),
      idb("le", { linkType: 1, tsresol: 0x81 }),
      epb("le", { interfaceId: 2, timestamp: 2n * BigInt(T0) + 1n, data: pattern(1) }),
      epb("le", { interfaceId: 1, timestamp: 1n, data: pattern(1) }),
      epb("le", { interfaceId: 0, timestamp: 1n, data: pattern(1) }),
    );
    expect(read(file).frames.map((f) => [f.interfaceId, f.sec, f.nsec])).toEqual([
      [2, T0, 500_000_000],
      [1, 100, 1],
      [0, 0, 1000],
    ]);
  });

  it("IDB options other than if_tsresol/if_tsoffset (if_name, if_fcslen) are skipped", () => {
    const name = new TextEncoder().encode("eth0");
    const file = bytes(
      shb("be", { options: [{ code: 4, value: new TextEncoder().encode("a comment") }] }),
      idb("be", {
        linkType: 1,
        tsresol: 9,
        options: [
          { code: 2, value: name },
          { code: 13, value: [4] },
        ],
      }),
      epb("be", { timestamp: 7n, data: pattern(3) }),
    );
    expect(read(file).frames.map((f) => [f.sec, f.nsec, f.bytes])).toEqual([[0, 7, "000102"]]);
  });
  it("malformed IDB options: an option running past the block stops the walk; the interface keeps its defaults", () => {
    for (const e of ["le", "be"] as Endian[]) {
      // if_name claiming 200 bytes, then if_tsresol = 9 that must not be reached.
      const body = bytes(
        u16(1, e),
        u16(0, e),
        u32(0, e),
        u16(2, e),
        u16(200, e),
        hex("65746830"),
        u16(9, e),
        u16(1, e),
        [9, 0, 0, 0],
        u16(0, e),
        u16(0, e),
      );
      const { file, at } = layout(
        shb(e),
        pcapngBlock(e, BLOCK.IDB, body),
        epb(e, { timestamp: 1_000_001n, data: pattern(4) }),
      );
      const r = read(file);
      expect(r.frames.map((f) => [f.linkType, f.sec, f.nsec, f.fileOffset])).toEqual([[1, 1, 1000, at[2]]]);
    }
  });

  it("an if_tsresol option of length 0 is ignored", () => {
    const file = bytes(
      shb("le"),
      idb("le", { linkType: 1, options: [{ code: 9, value: [] }] }),
      epb("le", { timestamp: 2_000_000n, data: pattern(4) }),
    );
    expect(read(file).frames.map((f) => [f.sec, f.nsec])).toEqual([[2, 0]]);
  });

  it("garbage EPB options after the packet data do not disturb the packet", () => {
    const file = bytes(
      shb("be"),
      idb("be", { linkType: 1 }),
      epb("be", { data: pattern(9, 3), options: [{ code: 0xffff, value: pattern(7) }] }),
      epb("be", { data: pattern(9, 4) }),
    );
    expect(read(file).frames.map((f) => f.bytes)).toEqual([toHex(pattern(9, 3)), toHex(pattern(9, 4))]);
  });
});

describe("PcapngReader: packet blocks", () => {
  it("EPB with options after the padded data", () => {
    const file = bytes(
      shb("le"),
      idb("le", { linkType: 1 }),
      epb("le", { data: pattern(5, 9), origLen: 1514, options: [{ code: 2, value: u32(0x1, "le") }] }),
    );
    expect(read(file).frames.map((f) => [f.caplen, f.origLen, f.bytes])).toEqual([[5, 1514, toHex(pattern(5, 9))]]);
  });

  for (const e of ["le", "be"] as Endian[]) {
    it(`SPB (${e}): interface 0, no timestamp, caplen from the block and the interface snaplen`, () => {
      const { file, at } = layout(
        shb(e),
        idb(e, { linkType: LINKTYPE.RAW, snaplen: 64 }),
        spb(e, { data: pattern(64, 5), origLen: 1500 }),
        spb(e, { data: pattern(7, 6) }),
      );
      const r = read(file);
      expect(r.warnings).toEqual([]);
      expect(
        r.frames.map((f) => [f.interfaceId, f.linkType, f.sec, f.nsec, f.caplen, f.origLen, f.fileOffset, f.bytes]),
      ).toEqual([
        [0, 101, 0, 0, 64, 1500, at[2], toHex(pattern(64, 5))],
        // 7 bytes of data padded to 8: caplen is the original length, not the padded size.
        [0, 101, 0, 0, 7, 7, at[3], toHex(pattern(7, 6))],
      ]);
    });

    it(`OPB (${e}): 16-bit interface id, drops count, timestamp`, () => {
      const { file, at } = layout(
        shb(e),
        idb(e, { linkType: 1 }),
        idb(e, { linkType: LINKTYPE.LINUX_SLL, tsresol: 9 }),
        opb(e, { interfaceId: 1, drops: 0xffff, timestamp: BigInt(T0) * 1_000_000_000n + 42n, data: pattern(30) }),
      );
      expect(read(file).frames.map((f) => [f.interfaceId, f.linkType, f.sec, f.nsec, f.fileOffset])).toEqual([
        [1, 113, T0, 42, at[3]],
      ]);
    });
  }

  it("an SPB larger than 262144 bytes (no interface snaplen) is delivered cut to 262144, its wire length kept", () => {
    const data = pattern(300_000);
    const file = bytes(shb("le"), idb("le", { linkType: 1 }), spb("le", { data }));
    const r = read(file);
    expect(r.warnings).toEqual([]);
    expect(r.frames.map((f) => [f.caplen, f.origLen, f.fileOffset, f.bytes])).toEqual([
      [262_144, 300_000, 48, toHex(data.subarray(0, 262_144))],
    ]);
  });

  it("an SPB too short to hold its original-length field (12 bytes): warned, skipped, no negative caplen", () => {
    const { file, at } = layout(
      shb("le"),
      idb("le", { linkType: 1 }),
      pcapngBlock("le", BLOCK.SPB, []),
      spb("le", { data: pattern(6) }),
    );
    const r = read(file);
    expect(r.frames.map((f) => [f.caplen, f.fileOffset])).toEqual([[6, at[3]]]);
    expect(r.warnings).toEqual([{ offset: at[2], message: expect.stringContaining("too short") }]);
  });

  it("an SPB with an original-length field and no data (16 bytes) is an empty frame", () => {
    const r = read(bytes(shb("be"), idb("be", { linkType: 1 }), pcapngBlock("be", BLOCK.SPB, u32(60, "be"))));
    expect(r.frames.map((f) => [f.caplen, f.origLen])).toEqual([[0, 60]]);
    expect(r.warnings).toEqual([]);
  });

  it("an IDB too short for its fixed fields does not invent a link type from its trailing length", () => {
    const reader = new PcapngReader();
    const { file, at } = layout(shb("le"), pcapngBlock("le", BLOCK.IDB, []), epb("le", { data: pattern(20) }));
    const r = readChunks(reader, file);
    expect(reader.linkTypes).not.toContain(12);
    expect(r.frames.map((f) => f.linkType)).not.toContain(12);
    expect(r.warnings.map((w) => w.offset)).toContain(at[1]);
  });

  it("unknown, custom, statistics and name-resolution blocks are skipped without a warning", () => {
    const { file, at } = layout(
      shb("le"),
      nrb("le"),
      idb("le", { linkType: 1 }),
      customBlock("le"),
      epb("le", { data: pattern(10, 1) }),
      customBlock("le", pattern(3), BLOCK.CUSTOM_NOCOPY),
      isb("le"),
      pcapngBlock("le", 0x1234_5678, pattern(21)),
      pcapngBlock("le", BLOCK.DSB, pattern(16)),
      pcapngBlock("le", 0x8000_0001, []), // local-use block type, empty body
      epb("le", { data: pattern(10, 2) }),
    );
    const r = read(file);
    expect(r.warnings).toEqual([]);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([at[4], at[10]]);
  });

  it("a packet block naming an interface the section has not described: warned, skipped, reading goes on", () => {
    const { file, at } = layout(
      shb("be"),
      idb("be", { linkType: 1 }),
      idb("be", { linkType: 101 }),
      epb("be", { interfaceId: 2, data: pattern(10) }),
      opb("be", { interfaceId: 7, data: pattern(10) }),
      epb("be", { interfaceId: 1, data: pattern(11) }),
    );
    const r = read(file);
    expect(r.frames.map((f) => [f.interfaceId, f.fileOffset])).toEqual([[1, at[5]]]);
    expect(r.warnings).toEqual([
      { offset: at[3], message: "packet block names interface 2, but the section describes 2; skipped" },
      { offset: at[4], message: expect.stringContaining("interface 7") },
    ]);
  });

  it("an SPB before any IDB: warned and skipped", () => {
    const r = read(bytes(shb("le"), spb("le", { data: pattern(10) })));
    expect(r.frames).toEqual([]);
    expect(r.warnings).toEqual([{ offset: 28, message: expect.stringContaining("interface 0") }]);
  });

  it("an EPB whose captured length exceeds its block: warned, skipped", () => {
    const { file, at } = layout(
      shb("le"),
      idb("le", { linkType: 1 }),
      epb("le", { data: pattern(8), caplen: 9 }),
      epb("le", { data: pattern(8, 1) }),
    );
    const r = read(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([at[3]]);
    expect(r.warnings).toEqual([{ offset: at[2], message: expect.stringContaining("captured length 9") }]);
  });

  it("an EPB block too short for its fixed fields: warned, skipped", () => {
    const { file, at } = layout(
      shb("le"),
      idb("le", { linkType: 1 }),
      pcapngBlock("le", BLOCK.EPB, pattern(16)),
      epb("le", { data: pattern(8, 1) }),
    );
    const r = read(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([at[3]]);
    expect(r.warnings).toEqual([{ offset: at[2], message: "packet block of 28 bytes is too short; skipped" }]);
  });
});

describe("PcapngReader: damage", () => {
  const blocks = (e: Endian) => [
    shb(e),
    idb(e, { linkType: 1 }),
    epb(e, { timestamp: 1n, data: pattern(40, 1) }),
    epb(e, { timestamp: 2n, data: pattern(41, 2) }),
    epb(e, { timestamp: 3n, data: pattern(42, 3) }),
    epb(e, { timestamp: 4n, data: pattern(43, 4) }),
  ];

  for (const e of ["le", "be"] as Endian[]) {
    for (const bad of [13, 8, 0x7fff_fff0]) {
      it(`${e}: an impossible block length (${bad}) in the middle: warning, then resync to the next block`, () => {
        const { file, at } = layout(...blocks(e));
        file.set(u32(bad, e), at[3]! + 4);
        const r = read(file);
        expect(r.error).toBeNull();
        expect(r.frames.map((f) => [f.nsec, f.fileOffset])).toEqual([
          [1000, at[2]],
          [3000, at[4]],
          [4000, at[5]],
        ]);
        expect(r.warnings).toEqual([
          { offset: at[3], message: `block length ${bad} is impossible; looking for the next valid block` },
          { offset: at[4], message: `skipped ${at[4]! - at[3]!} damaged bytes; reading resumes here` },
        ]);
        expect(read(file, everyByte(file.length))).toEqual(r);
      });
    }

    it(`${e}: a mismatched trailing length: warning, then resync`, () => {
      const bs = blocks(e);
      const { file, at } = layout(...bs);
      file.set(u32(0x1234, e), at[3]! + bs[3]!.length - 4);
      const r = read(file);
      expect(r.frames.map((f) => f.fileOffset)).toEqual([at[2], at[4], at[5]]);
      expect(r.warnings).toEqual([
        { offset: at[3], message: expect.stringContaining(`does not match its trailing copy ${0x1234}`) },
        { offset: at[4], message: expect.stringContaining("reading resumes here") },
      ]);
    });

    it(`${e}: a block length pointing past the end of the file in the middle: resync, not 'truncated'`, () => {
      const { file, at } = layout(...blocks(e));
      file.set(u32(0x0010_0000, e), at[3]! + 4); // a plausible length, far beyond the file
      const r = read(file);
      expect(r.frames.map((f) => f.fileOffset)).toEqual([at[2], at[4], at[5]]);
      expect(r.warnings.map((w) => w.offset)).toEqual([at[3], at[4]]);
    });

    it(`${e}: a file cut inside a block keeps the packets before it and warns at that block`, () => {
      const { file, at } = layout(...blocks(e));
      const cut = file.subarray(0, at[4]! + 30);
      const r = read(cut);
      expect(r.error).toBeNull();
      expect(r.frames.map((f) => f.fileOffset)).toEqual([at[2], at[3]]);
      expect(r.warnings).toEqual([
        {
          offset: at[4],
          message: "capture ends inside a block (30 bytes of it present); kept the 2 packets before it",
        },
      ]);
      const cut2 = file.subarray(0, at[4]! + 5);
      expect(read(cut2, everyByte(cut2.length)).warnings).toEqual([
        { offset: at[4], message: expect.stringContaining("(5 bytes of it present)") },
      ]);
    });

    it(`${e}: damage with no valid block after it: one more warning with the bytes left`, () => {
      const { file, at } = layout(...blocks(e));
      file.set(u32(13, e), at[5]! + 4);
      const r = read(file);
      expect(r.frames).toHaveLength(3);
      expect(r.warnings).toEqual([
        { offset: at[5], message: expect.stringContaining("block length 13") },
        { offset: at[5], message: `no valid block after the damage; ${file.length - at[5]!} bytes unread` },
      ]);
    });

    it(`${e}: random chunking of a damaged file gives the same frames and warnings`, () => {
      const { file, at } = layout(...blocks(e));
      file.set(u32(0x55, e), at[2]! + 4);
      const whole = read(file);
      expect(whole.frames.map((f) => f.fileOffset)).toEqual([at[3], at[4], at[5]]);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: file.length - 1 }), { maxLength: 10 }), (cuts) => {
          expect(read(file, cuts)).toEqual(whole);
        }),
        { numRuns: 150 },
      );
    });
  }

  it("damage at the end of a little-endian section: the big-endian section after it is still read", () => {
    const { file, at } = layout(
      shb("le"),
      idb("le", { linkType: 1 }),
      epb("le", { data: pattern(40, 1) }),
      epb("le", { data: pattern(40, 2) }),
      shb("be"),
      idb("be", { linkType: 101 }),
      epb("be", { data: pattern(40, 3) }),
    );
    file.set(u32(13, "le"), at[3]! + 4);
    const r = read(file);
    expect(r.frames.map((f) => [f.linkType, f.fileOffset])).toEqual([
      [1, at[2]],
      [101, at[6]],
    ]);
  });

  it("a later section header with a bad byte-order magic is damage, not the end", () => {
    const bad = shb("le");
    bad.set(u32(0xdeadbeef, "le"), 8);
    const { file, at } = layout(
      shb("le"),
      idb("le", { linkType: 1 }),
      epb("le", { data: pattern(20, 1) }),
      bad,
      epb("le", { data: pattern(20, 2) }),
    );
    const r = read(file);
    expect(r.error).toBeNull();
    expect(r.frames.map((f) => f.fileOffset)).toEqual([at[2], at[4]]);
    expect(r.warnings[0]).toEqual({ offset: at[3], message: expect.stringContaining("invalid byte-order magic") });
  });
});

describe("PcapngReader: a damaged first section header", () => {
  const blocks = (e: Endian) => [
    shb(e),
    idb(e, { linkType: LINKTYPE.RAW, tsresol: 9 }),
    epb(e, { timestamp: 1_000_000_007n, data: pattern(40, 1) }),
    epb(e, { timestamp: 2_000_000_009n, data: pattern(41, 2) }),
  ];
  /** The frames of the undamaged file, as [linkType, sec, nsec, offset, bytes]. */
  const expected = (at: number[]) => [
    [101, 1, 7, at[2], toHex(pattern(40, 1))],
    [101, 2, 9, at[3], toHex(pattern(41, 2))],
  ];
  const frames = (r: { frames: FrameCopy[] }) =>
    r.frames.map((f) => [f.linkType, f.sec, f.nsec, f.fileOffset, f.bytes]);

  for (const e of ["le", "be"] as Endian[]) {
    it(`${e}: an invalid byte-order magic: the byte order is taken from the next valid block, every packet read`, () => {
      const { file, at } = layout(...blocks(e));
      file.set(hex("01020304"), 8);
      const r = read(file);
      expect(r.error).toBeNull();
      expect(frames(r)).toEqual(expected(at));
      expect(r.warnings).toEqual([
        { offset: 8, message: "pcapng byte-order magic 0x01020304 is invalid; looking for the next valid block" },
        { offset: at[1], message: `skipped ${at[1]} damaged bytes; reading resumes here` },
      ]);
      expect(read(file, everyByte(file.length))).toEqual(r);
    });

    it(`${e}: a damaged block type (the byte-order magic intact) is still pcapng, and read on`, () => {
      const { file, at } = layout(...blocks(e));
      file.set(hex("0a0d0d0b"), 0);
      expect(detectFormat(file)).toBe("pcapng");
      const r = read(file);
      expect(r.error).toBeNull();
      expect(frames(r)).toEqual(expected(at));
      expect(r.warnings).toEqual([
        {
          offset: 0,
          message: `first block type ${e === "le" ? "0x0b0d0d0a" : "0x0a0d0d0b"} is not a section header; looking for the next valid block`,
        },
        { offset: at[1], message: `skipped ${at[1]} damaged bytes; reading resumes here` },
      ]);
    });

    for (const [name, field, value] of [
      ["an impossible length", 4, 13],
      ["a trailing length that disagrees", 24, 32],
      ["a length running past the end of the file", 4, 0x00ff_fff0],
    ] as const) {
      it(`${e}: ${name}: read on from the next valid block`, () => {
        const { file, at } = layout(...blocks(e));
        file.set(u32(value, e), field);
        const r = read(file);
        expect(r.error).toBeNull();
        expect(frames(r)).toEqual(expected(at));
        expect(r.warnings.at(-1)).toEqual({
          offset: at[1],
          message: `skipped ${at[1]} damaged bytes; reading resumes here`,
        });
        expect(read(file, everyByte(file.length))).toEqual(r);
      });
    }
  }

  it("the description block lost with the section header: one warning per missing interface, not one per packet", () => {
    const { file } = layout(
      shb("le"),
      ...Array.from({ length: 5 }, (_, i) => epb("le", { timestamp: BigInt(i), data: pattern(20, i) })),
    );
    file.set(hex("ffffffff"), 8);
    const r = read(file);
    expect(r.frames).toEqual([]);
    expect(r.error).toBeNull();
    expect(r.warnings.map((w) => w.message)).toEqual([
      "pcapng byte-order magic 0xffffffff is invalid; looking for the next valid block",
      "skipped 28 damaged bytes; reading resumes here",
      "packet block names interface 0, but the section describes 0; skipped",
    ]);
  });
});

describe("PcapngReader: not pcapng", () => {
  it("a classic pcap file is an error at offset 0", () => {
    const r = read(pcapFile({}, [{ sec: 1, data: pattern(10) }]));
    expect(r.frames).toEqual([]);
    expect(r.error).toEqual({ offset: 0, message: "not a pcapng file (first block type 0xa1b2c3d4)" });
  });

  it("a first SHB with an invalid byte-order magic and no valid block after it is an error at offset 8", () => {
    const file = shb("le");
    file.set(hex("01020304"), 8);
    const r = read(bytes(file, pattern(40, 0x80)));
    expect(r.frames).toEqual([]);
    expect(r.error).toEqual({
      offset: 8,
      message: "pcapng byte-order magic 0x01020304 is invalid, and no valid block follows",
    });
  });

  it("an empty input and a cut section header are errors", () => {
    expect(read(new Uint8Array(0)).error).toEqual({ offset: 0, message: "pcapng section header truncated" });
    expect(read(shb("le").subarray(0, 20), [4, 9]).error).toEqual({
      offset: 0,
      message: "pcapng section header truncated",
    });
  });

  it("after an error, later input is ignored", () => {
    const reader = new PcapngReader();
    const r = readChunks(reader, hex("0102030405060708090a0b0c0d0e0f10"));
    expect(r.error?.message).toContain("not a pcapng file");
    expect(
      readChunks(reader, bytes(shb("le"), idb("le", { linkType: 1 }), epb("le", { data: pattern(4) }))).frames,
    ).toEqual([]);
    expect(reader.frames).toBe(0);
  });
});

describe("PcapngReader: chunking", () => {
  it("1-byte chunks and random splits give the same frames as one chunk", () => {
    const { file } = layout(
      shb("le"),
      idb("le", { linkType: 1, tsresol: 9 }),
      customBlock("le"),
      epb("le", { timestamp: 5n, data: pattern(61) }),
      spb("le", { data: pattern(3) }),
      shb("be"),
      idb("be", { linkType: 113 }),
      opb("be", { timestamp: 9n, data: pattern(17) }),
      epb("be", { timestamp: 10n, data: pattern(1) }),
    );
    const whole = read(file);
    expect(whole.frames).toHaveLength(4);
    expect(whole.warnings).toEqual([]);
    expect(read(file, everyByte(file.length))).toEqual(whole);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: file.length - 1 }), { maxLength: 12 }), (cuts) => {
        expect(read(file, cuts)).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });
});
