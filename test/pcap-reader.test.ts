import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPcapMagic, PcapReader } from "../src/capture/pcap.js";
import { MAX_CAPLEN } from "../src/capture/reader.js";
import {
  bytes,
  everyByte,
  type FrameCopy,
  hex,
  LINKTYPE,
  newTestFrame,
  type PcapFileOptions,
  type PcapRecord,
  pattern,
  pcapFile,
  pcapHeader,
  pcapRecord,
  readChunks,
  toHex,
  u32,
} from "./helpers/capture-builder.js";
import { requireTools } from "./helpers/tools.js";

const T0 = 1_700_000_000;

function read(input: Uint8Array, cuts: number[] = []) {
  return readChunks(new PcapReader(), input, cuts);
}

/** Three records of different lengths and contents, one second apart. */
function threeRecords(fracs: [number, number, number] = [1, 2, 3]): PcapRecord[] {
  return [
    { sec: T0, frac: fracs[0], data: pattern(60, 0x10) },
    { sec: T0 + 1, frac: fracs[1], data: pattern(54, 0x20) },
    { sec: T0 + 2, frac: fracs[2], data: pattern(74, 0x30) },
  ];
}

/** Absolute offsets of each record in a file built from `records`. */
function recordOffsets(o: PcapFileOptions, records: PcapRecord[]): number[] {
  const out: number[] = [];
  let at = 24;
  for (const r of records) {
    out.push(at);
    at += pcapRecord(o, r).length;
  }
  return out;
}

describe("PcapReader: a file written by hand", () => {
  it("reads a little-endian µs file byte for byte", () => {
    const file = hex(`
      d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000
      00f15365 40e20100 04000000 3c000000 deadbeef
      01f15365 3f420f00 02000000 02000000 cafe`);
    const r = read(file);
    expect(r.error).toBeNull();
    expect(r.warnings).toEqual([]);
    expect(r.frames).toEqual([
      {
        number: 1,
        sec: 0x6553f100,
        nsec: 123_456_000,
        linkType: 1,
        interfaceId: 0,
        caplen: 4,
        origLen: 60,
        fileOffset: 24,
        bytes: "deadbeef",
      },
      {
        number: 2,
        sec: 0x6553f101,
        nsec: 999_999_000,
        linkType: 1,
        interfaceId: 0,
        caplen: 2,
        origLen: 2,
        fileOffset: 44,
        bytes: "cafe",
      },
    ]);
  });

  it("reads a big-endian ns file byte for byte, with an unsigned 32-bit second count", () => {
    const file = hex(`
      a1b23c4d 0002 0004 00000000 00000000 00000400 00000065
      fffffffe 3b9ac9ff 00000003 00000005 450000`);
    const r = read(file);
    expect(r.error).toBeNull();
    expect(r.frames).toHaveLength(1);
    expect(r.frames[0]).toMatchObject({
      sec: 4_294_967_294,
      nsec: 999_999_999,
      linkType: 101,
      caplen: 3,
      origLen: 5,
      bytes: "450000",
    });
  });
});

describe("PcapReader: magic numbers and byte orders", () => {
  const cases: { name: string; o: PcapFileOptions; magic: string; nsec: [number, number, number] }[] = [
    { name: "µs little-endian", o: { endian: "le" }, magic: "d4c3b2a1", nsec: [1000, 2000, 3000] },
    { name: "µs big-endian", o: { endian: "be" }, magic: "a1b2c3d4", nsec: [1000, 2000, 3000] },
    { name: "ns little-endian", o: { endian: "le", resolution: "ns" }, magic: "4d3cb2a1", nsec: [1, 2, 3] },
    { name: "ns big-endian", o: { endian: "be", resolution: "ns" }, magic: "a1b23c4d", nsec: [1, 2, 3] },
    {
      name: "Kuznetzov little-endian",
      o: { endian: "le", kuznetzov: true },
      magic: "34cdb2a1",
      nsec: [1000, 2000, 3000],
    },
    { name: "Kuznetzov big-endian", o: { endian: "be", kuznetzov: true }, magic: "a1b2cd34", nsec: [1000, 2000, 3000] },
  ];
  for (const c of cases) {
    it(`${c.name}: exact timestamps, lengths, offsets and bytes`, () => {
      const records = threeRecords();
      const file = pcapFile(c.o, records);
      expect(toHex(file.subarray(0, 4))).toBe(c.magic);
      const offsets = recordOffsets(c.o, records);
      const r = read(file);
      expect(r.error).toBeNull();
      expect(r.warnings).toEqual([]);
      expect(r.frames.map((f) => [f.number, f.sec, f.nsec, f.caplen, f.origLen, f.fileOffset, f.bytes])).toEqual(
        records.map((rec, i) => [
          i + 1,
          rec.sec,
          c.nsec[i],
          rec.data.length,
          rec.data.length,
          offsets[i],
          toHex(rec.data),
        ]),
      );
    });
  }

  it("µs fractions become nanoseconds exactly (999999 µs -> 999999000 ns)", () => {
    const file = pcapFile({ endian: "be" }, [{ sec: 5, frac: 999_999, data: pattern(1) }]);
    const r = read(file);
    expect(r.frames.map((f) => [f.sec, f.nsec])).toEqual([[5, 999_999_000]]);
  });

  it("keeps the snapshot-length cut: caplen from the record, origLen from the wire", () => {
    const o: PcapFileOptions = { snaplen: 64, truncate: true };
    const r = read(pcapFile(o, [{ sec: T0, data: pattern(1500) }]));
    expect(r.frames.map((f) => [f.caplen, f.origLen, f.bytes])).toEqual([[64, 1500, toHex(pattern(64))]]);
  });

  it("reports the link type of the file header in every frame and in linkTypes", () => {
    const reader = new PcapReader();
    const r = readChunks(reader, pcapFile({ linkType: LINKTYPE.LINUX_SLL2 }, threeRecords()));
    expect(r.frames.map((f) => f.linkType)).toEqual([276, 276, 276]);
    expect(reader.linkTypes).toEqual([276]);
    expect(reader.frames).toBe(3);
  });

  it("masks the FCS bits (upper 16 bits) of the link-type field: libpcap's LT_FCS_DATALINK_EXT(2) | ETHERNET", () => {
    // pcap-savefile(5): link type in the lower 16 bits; bit 26 (0x04000000) says the FCS length is
    // known, bits 28-31 give it. libpcap: LT_LINKTYPE(x) = x & 0xFFFF.
    const reader = new PcapReader();
    const r = readChunks(reader, pcapFile({ linkType: 0x2400_0001 }, threeRecords()));
    expect(r.frames.map((f) => f.linkType)).toEqual([1, 1, 1]);
    expect(reader.linkTypes).toEqual([1]);
  });

  it("masks an FCS length nibble without the 'present' bit", () => {
    const r = read(pcapFile({ linkType: 0x1000_0000 | LINKTYPE.LINUX_SLL, endian: "be" }, threeRecords()));
    expect(r.frames.map((f) => f.linkType)).toEqual([113, 113, 113]);
  });

  it("accepts a header with no records: no frames, no warning, no error", () => {
    const r = read(pcapHeader({ resolution: "ns" }));
    expect(r).toEqual({ frames: [], warnings: [], error: null });
  });
});

describe("PcapReader: chunking", () => {
  const o: PcapFileOptions = { endian: "be", resolution: "ns" };
  const file = pcapFile(o, [...threeRecords(), { sec: T0 + 3, frac: 4, data: pattern(1, 0x40) }]);

  it("1-byte chunks give the same frames as one chunk", () => {
    const whole = read(file);
    expect(whole.frames).toHaveLength(4);
    expect(read(file, everyByte(file.length))).toEqual(whole);
  });

  it("random splits give the same frames as one chunk (µs, ns, Kuznetzov, both byte orders)", () => {
    const files = [
      file,
      pcapFile({ endian: "le" }, threeRecords()),
      pcapFile({ endian: "le", kuznetzov: true }, threeRecords()),
      pcapFile({ endian: "be", kuznetzov: true }, threeRecords()),
    ];
    for (const f of files) {
      const whole = read(f);
      expect(whole.frames).toHaveLength(f === file ? 4 : 3);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: f.length - 1 }), { maxLength: 12 }), (cuts) => {
          expect(read(f, cuts)).toEqual(whole);
        }),
        { numRuns: 200 },
      );
    }
  });
});

describe("PcapReader: damage", () => {
  const o: PcapFileOptions = { endian: "le" };
  const records = [...threeRecords(), { sec: T0 + 3, frac: 4, data: pattern(66, 0x40) }];
  const offsets = recordOffsets(o, records);
  const good = pcapFile(o, records);

  it("a file cut inside a record's data keeps the records before it and warns at that record's offset", () => {
    const cut = good.subarray(0, offsets[2]! + 16 + 10);
    const r = read(cut);
    expect(r.error).toBeNull();
    expect(r.frames.map((f) => f.bytes)).toEqual([toHex(records[0]!.data), toHex(records[1]!.data)]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.offset).toBe(offsets[2]);
    expect(r.warnings[0]!.message).toContain("record 3");
    expect(r.warnings[0]!.message).toContain("26 bytes");
  });

  it("a file cut inside a record header keeps the records before it and warns at that record's offset", () => {
    const r = read(good.subarray(0, offsets[3]! + 7), everyByte(offsets[3]! + 7));
    expect(r.error).toBeNull();
    expect(r.frames).toHaveLength(3);
    expect(r.warnings).toEqual([{ offset: offsets[3], message: expect.stringContaining("record 4") }]);
  });

  it("a corrupt caplen in the middle: warns at the record, then resumes at the next good record", () => {
    const damaged = bytes(good);
    damaged.set(u32(0x00ff_ffff, "le"), offsets[1]! + 8);
    const r = read(damaged);
    expect(r.error).toBeNull();
    // Records 1, 3 and 4 are delivered; record 2 is lost.
    expect(r.frames.map((f) => [f.sec, f.fileOffset, f.bytes])).toEqual(
      [0, 2, 3].map((i) => [records[i]!.sec, offsets[i], toHex(records[i]!.data)]),
    );
    expect(r.frames.map((f) => f.number)).toEqual([1, 2, 3]);
    expect(r.warnings).toEqual([
      { offset: offsets[1], message: expect.stringContaining("16777215") },
      { offset: offsets[2], message: expect.stringContaining(`skipped ${offsets[2]! - offsets[1]!} damaged bytes`) },
    ]);
    // Same result whatever the chunking.
    expect(read(damaged, everyByte(damaged.length))).toEqual(r);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: damaged.length - 1 }), { maxLength: 8 }), (cuts) => {
        expect(read(damaged, cuts)).toEqual(r);
      }),
      { numRuns: 150 },
    );
  });

  it("a corrupt caplen in the big-endian ns record before the last one resumes at the last record", () => {
    const ob: PcapFileOptions = { endian: "be", resolution: "ns" };
    const offs = recordOffsets(ob, records);
    const damaged = pcapFile(ob, records);
    damaged.set(u32(0xffff_ffff, "be"), offs[2]! + 8);
    const r = read(damaged);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([offs[0], offs[1], offs[3]]);
    expect(r.warnings.map((w) => w.offset)).toEqual([offs[2], offs[3]]);
  });

  it("a corrupt caplen in the FIRST record: the records after it are still read", () => {
    const damaged = bytes(good);
    damaged.set(u32(0x7fff_0000, "le"), offsets[0]! + 8);
    const r = read(damaged);
    expect(r.error).toBeNull();
    expect(r.frames.map((f) => f.fileOffset)).toEqual([offsets[1], offsets[2], offsets[3]]);
    expect(r.warnings.map((w) => w.offset)).toEqual([offsets[0], offsets[1]]);
  });

  it("damage with no good record after it: warns once more with the bytes left unread", () => {
    const damaged = bytes(good);
    damaged.set(u32(0x00ff_ffff, "le"), offsets[3]! + 8);
    const r = read(damaged);
    expect(r.frames).toHaveLength(3);
    expect(r.warnings).toEqual([
      { offset: offsets[3], message: expect.stringContaining("16777215") },
      {
        offset: offsets[3],
        message: expect.stringContaining(
          `no valid record after the damage; ${damaged.length - offsets[3]!} bytes unread`,
        ),
      },
    ]);
  });

  it("records longer than the file's snaplen are read cut to it, as libpcap does, with one warning per file", () => {
    const os: PcapFileOptions = { snaplen: 96 };
    const recs: PcapRecord[] = [
      { sec: T0, data: pattern(96, 1) },
      { sec: T0 + 1, data: pattern(97, 2) },
      { sec: T0 + 2, data: pattern(40, 3) },
      { sec: T0 + 3, data: pattern(200, 4) },
    ];
    const offs = recordOffsets(os, recs);
    const file = pcapFile(os, recs);
    const r = read(file);
    expect(r.frames.map((f) => [f.fileOffset, f.caplen, f.origLen, f.bytes])).toEqual(
      recs.map((rec, i) => [offs[i], Math.min(96, rec.data.length), rec.data.length, toHex(rec.data.subarray(0, 96))]),
    );
    expect(r.warnings).toEqual([
      {
        offset: offs[1],
        message:
          "record 2: captured length 97 exceeds the file's snapshot length 96; read as libpcap reads it, cut to 96 bytes (said once per file)",
      },
    ]);
    expect(read(file, everyByte(file.length))).toEqual(r);
  });

  requireTools(["tcpdump"]).describe("libpcap as the oracle (tcpdump)", () => {
    it("tcpdump -r reads the oversized records as we do: its copy (-w) holds exactly our frames", () => {
      const os: PcapFileOptions = { snaplen: 96 };
      const file = pcapFile(os, [
        { sec: T0, frac: 5, data: pattern(96, 1) },
        { sec: T0 + 1, frac: 6, data: pattern(97, 2) },
        { sec: T0 + 2, frac: 7, data: pattern(40, 3) },
        { sec: T0 + 3, frac: 8, data: pattern(200, 4) },
      ]);
      const dir = mkdtempSync(join(tmpdir(), "wscale-pcap-"));
      try {
        writeFileSync(join(dir, "in.pcap"), file);
        execFileSync("tcpdump", ["-r", join(dir, "in.pcap"), "-w", join(dir, "out.pcap")], { stdio: "ignore" });
        const copy = read(readFileSync(join(dir, "out.pcap")));
        const ours = read(file);
        const fields = (f: FrameCopy) => [f.sec, f.nsec, f.caplen, f.origLen, f.bytes];
        expect(copy.warnings).toEqual([]);
        expect(copy.frames.map(fields)).toEqual(ours.frames.map(fields));
        expect(ours.frames.map((f) => f.caplen)).toEqual([96, 96, 40, 96]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it("a caplen damaged to a value above the snaplen that points at no record is damage: no bogus frame", () => {
    const os: PcapFileOptions = { snaplen: 96 };
    const recs: PcapRecord[] = [
      { sec: T0, data: pattern(60, 1) },
      { sec: T0 + 1, data: pattern(60, 2) },
      { sec: T0 + 2, data: pattern(60, 3) },
      { sec: T0 + 3, data: pattern(60, 4) },
    ];
    const offs = recordOffsets(os, recs);
    const file = pcapFile(os, recs);
    file.set(u32(100, "le"), offs[1]! + 8); // 100 bytes on from record 2's data is inside record 3's data
    const r = read(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([offs[0], offs[2], offs[3]]);
    expect(r.warnings).toEqual([
      {
        offset: offs[1],
        message:
          "record 2: captured length 100 exceeds the snapshot length 96 and no record follows it; looking for the next valid record",
      },
      { offset: offs[2], message: `skipped ${offs[2]! - offs[1]!} damaged bytes; reading resumes here` },
    ]);
    expect(read(file, everyByte(file.length))).toEqual(r);
  });

  it("an oversized last record ends the file exactly: read; one cut by the end of the file: truncated", () => {
    const os: PcapFileOptions = { snaplen: 64 };
    const recs: PcapRecord[] = [
      { sec: T0, data: pattern(60, 1) },
      { sec: T0 + 1, data: pattern(70, 2) },
    ];
    const file = pcapFile(os, recs);
    expect(read(file).frames.map((f) => [f.caplen, f.origLen])).toEqual([
      [60, 60],
      [64, 70],
    ]);
    const cut = read(file.subarray(0, file.length - 1));
    expect(cut.frames.map((f) => f.caplen)).toEqual([60]);
    expect(cut.warnings).toEqual([
      { offset: recordOffsets(os, recs)[1], message: expect.stringContaining("capture ends inside record 2") },
    ]);
  });

  it("snaplen 0 means no limit below 262144: a 70000-byte record is read, a 262145-byte one is not", () => {
    const os: PcapFileOptions = { snaplen: 0 };
    expect(read(pcapFile(os, [{ sec: T0, data: pattern(70_000) }])).frames.map((f) => f.caplen)).toEqual([70_000]);
    const r = read(pcapFile(os, [{ sec: T0, data: pattern(262_145) }]));
    expect(r.frames).toEqual([]);
    expect(r.warnings[0]).toEqual({
      offset: 24,
      message:
        "record 1: captured length 262145 exceeds 262144, the most any capture holds; looking for the next valid record",
    });
  });
});

describe("PcapReader: unreadable files", () => {
  it("an empty file is an error at offset 0", () => {
    const r = read(new Uint8Array(0));
    expect(r.frames).toEqual([]);
    expect(r.error).toEqual({ offset: 0, message: "pcap file header truncated (0 of 24 bytes)" });
  });

  it("a header cut short is an error that says how much is there", () => {
    const r = read(pcapHeader().subarray(0, 10), [3, 7]);
    expect(r.error).toEqual({ offset: 0, message: "pcap file header truncated (10 of 24 bytes)" });
  });

  it("a bad magic number is an error naming the magic", () => {
    const file = bytes(new TextEncoder().encode("ABCDEFGHIJKLMNOPQRSTUVWX"), pattern(40));
    const r = read(file);
    expect(r.frames).toEqual([]);
    expect(r.error).toEqual({ offset: 0, message: "not a pcap file (magic 0x41424344)" });
  });

  it("a version other than 2 is an error at offset 4", () => {
    const r = read(pcapFile({ versionMajor: 1 }, threeRecords()));
    expect(r.frames).toEqual([]);
    expect(r.error).toEqual({ offset: 4, message: "unsupported pcap version 1 (expected 2)" });
  });

  it("after an error nothing more is delivered, however much is fed", () => {
    const reader = new PcapReader();
    const r1 = readChunks(reader, hex("00112233445566778899aabbccddeeff0011223344556677"));
    expect(r1.error?.message).toContain("not a pcap file");
    reader.feed(pcapFile({}, threeRecords()));
    expect(reader.next(newTestFrame())).toBe(false);
    expect(reader.frames).toBe(0);
  });
});

describe("PcapReader: the edges of each check", () => {
  it("isPcapMagic: all three magics in both byte orders, four bytes are enough; three are not", () => {
    for (const m of ["a1b2c3d4", "a1b23c4d", "a1b2cd34"]) {
      const be = hex(m);
      expect([isPcapMagic(be), isPcapMagic(be.slice().reverse())]).toEqual([true, true]);
      expect(isPcapMagic(be.subarray(0, 3))).toBe(false);
    }
    expect(isPcapMagic(hex("0a0d0d0a"))).toBe(false); // pcapng
  });

  it("a version whose high byte is set is refused in either byte order (258 is not 2)", () => {
    for (const endian of ["le", "be"] as const) {
      const r = read(pcapFile({ endian, versionMajor: 0x0102 }, threeRecords()));
      expect(r.error).toEqual({ offset: 4, message: "unsupported pcap version 258 (expected 2)" });
      expect(r.frames).toEqual([]);
    }
  });

  it("a bad magic delivers nothing, even with plausible records after the header", () => {
    const file = pcapFile({}, threeRecords());
    file.set(hex("00112233"), 0);
    const r = read(file);
    expect(r.error?.message).toBe("not a pcap file (magic 0x00112233)");
    expect(r.frames).toEqual([]);
  });

  it("big-endian: the header's snaplen is read there too (an oversized record is cut to it)", () => {
    const o: PcapFileOptions = { endian: "be", resolution: "ns", snaplen: 64 };
    const r = read(
      pcapFile(o, [
        { sec: T0, data: pattern(70, 1) },
        { sec: T0 + 1, data: pattern(60, 2) },
      ]),
    );
    expect(r.frames.map((f) => [f.caplen, f.origLen])).toEqual([
      [64, 70],
      [60, 60],
    ]);
  });

  it("a file of exactly its 24-byte header, finished before any read: no records, no error", () => {
    const reader = new PcapReader();
    reader.feed(pcapHeader({}));
    reader.finish();
    expect(reader.error).toBeNull();
    expect(reader.next(newTestFrame())).toBe(false);
    expect(reader.warnings).toEqual([]);
  });

  it("a last record of 0 bytes (its header ends the file) is a frame, not a cut record", () => {
    const r = read(
      pcapFile({}, [
        { sec: T0, data: pattern(60, 1) },
        { sec: T0 + 1, data: new Uint8Array(0) },
      ]),
    );
    expect(r.frames.map((f) => f.caplen)).toEqual([60, 0]);
    expect(r.warnings).toEqual([]);
  });

  it(`a record of exactly ${MAX_CAPLEN} bytes (snaplen 0) is read`, () => {
    const r = read(pcapFile({ snaplen: 0 }, [{ sec: T0, data: pattern(MAX_CAPLEN) }]));
    expect([r.frames.map((f) => f.caplen), r.warnings]).toEqual([[MAX_CAPLEN], []]);
  });

  it("an oversized record followed by a few bytes that are no record header is damage, not a cut record", () => {
    const o: PcapFileOptions = { snaplen: 64 };
    const file = bytes(
      pcapFile(o, [
        { sec: T0, data: pattern(60, 1) },
        { sec: T0 + 1, data: pattern(70, 2) },
      ]),
      hex("0102030405"),
    );
    const r = read(file);
    expect(r.frames.map((f) => f.caplen)).toEqual([60]);
    expect(r.warnings[0]!.message).toContain("exceeds the snapshot length 64 and no record follows it");
  });

  describe("resync after damage", () => {
    const o: PcapFileOptions = {};
    /** Record 2 of `records` damaged (caplen beyond any capture): where does reading resume? */
    const resumed = (records: PcapRecord[]) => {
      const file = pcapFile(o, records);
      file.set(u32(0x00ff_ffff, "le"), recordOffsets(o, records)[1]! + 8);
      const reader = new PcapReader();
      const r = readChunks(reader, file);
      // Asked again after the end: nothing more, and no warning said twice.
      expect(reader.next(newTestFrame())).toBe(false);
      expect(reader.warnings).toEqual(r.warnings);
      return r.frames.map((f) => f.sec - T0);
    };
    const rec = (dt: number, n = 60, origLen?: number): PcapRecord => ({
      sec: T0 + dt,
      data: pattern(n, dt & 0xff),
      origLen,
    });

    it("at a last record of 0 bytes, or a record followed by one", () => {
      expect(resumed([rec(0), rec(1), rec(2, 0)])).toEqual([0, 2]);
      expect(resumed([rec(0), rec(1), rec(2), rec(3, 0)])).toEqual([0, 2, 3]);
    });

    it(`at records whose wire length is exactly ${MAX_CAPLEN}`, () => {
      expect(resumed([rec(0), rec(1), rec(2, 60, MAX_CAPLEN), rec(3, 60, MAX_CAPLEN)])).toEqual([0, 2, 3]);
    });

    it("a record less than a day after the last good one is plausible; one a day later is not", () => {
      // Both headers of the pair that confirms a resync are compared with the last good record's time.
      expect(resumed([rec(0), rec(1), rec(86_399), rec(86_399)])).toEqual([0, 86_399, 86_399]);
      expect(resumed([rec(0), rec(1), rec(86_400), rec(86_400)])).toEqual([0]);
    });
  });
});
