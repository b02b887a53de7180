/**
 * Resync decoys (issue 17): after damage, a reader scans for the next record, and packet data can
 * hold bytes that look like a record header. Each test plants one decoy that passes every check
 * of the resync but one, in front of the real next record, and asserts that the reader reads
 * exactly what it reads without the decoy. Each safeguard of PcapReader.resync/plausible and
 * PcapngReader.resync is killed by at least one test here: drop the check and the decoy is
 * taken for a record (a bogus frame, lost frames, or other warnings).
 */
import { describe, expect, it } from "vitest";
import { PcapReader } from "../src/capture/pcap.js";
import { PcapngReader } from "../src/capture/pcapng.js";
import {
  BLOCK,
  bytes,
  customBlock,
  epb,
  everyByte,
  idb,
  LINKTYPE,
  type PcapRecord,
  pattern,
  pcapFile,
  readChunks,
  shb,
  u32,
} from "./helpers/capture-builder.js";

const T0 = 1_700_000_000;

// ---------------------------------------------------------------------------------------------
// Classic pcap: snaplen 128, five records of 100 bytes each, record 2's caplen damaged.

const SNAPLEN = 128;
const RECORDS: PcapRecord[] = Array.from({ length: 5 }, (_, i) => ({
  sec: T0 + i,
  frac: 1000 * (i + 1),
  data: pattern(100, 0x20 + 0x10 * i),
}));
const RECORD = 16 + 100;
/** Offset of record i in the file. */
const rec = (i: number) => 24 + i * RECORD;
/** The damaged record's data: decoys go here (resync scans from just after its header's start). */
const DATA = rec(1) + 16;

function damagedPcap(): Uint8Array {
  const file = pcapFile({ snaplen: SNAPLEN }, RECORDS);
  file.set(u32(0x00ff_ffff, "le"), rec(1) + 8);
  return file;
}

/** A 16-byte little-endian record header. */
function header(sec: number, frac: number, caplen: number, orig: number): Uint8Array {
  return bytes(u32(sec, "le"), u32(frac, "le"), u32(caplen, "le"), u32(orig, "le"));
}

function readPcap(file: Uint8Array, cuts: number[] = []) {
  return readChunks(new PcapReader(), file, cuts);
}

/** What the damaged file yields without any decoy: records 1, 3, 4, 5; record 2 lost. */
function expectRecordTwoLost(file: Uint8Array) {
  const r = readPcap(file);
  expect(r.error).toBeNull();
  expect(r.frames.map((f) => [f.number, f.sec, f.fileOffset, f.caplen])).toEqual([
    [1, T0, rec(0), 100],
    [2, T0 + 2, rec(2), 100],
    [3, T0 + 3, rec(3), 100],
    [4, T0 + 4, rec(4), 100],
  ]);
  expect(r.warnings).toEqual([
    {
      offset: rec(1),
      message:
        "record 2: captured length 16777215 exceeds 262144, the most any capture holds; looking for the next valid record",
    },
    { offset: rec(2), message: `skipped ${RECORD} damaged bytes; reading resumes here` },
  ]);
  expect(readPcap(file, everyByte(file.length))).toEqual(r);
}

describe("pcap resync: decoy record headers inside the damaged record's data", () => {
  it("without a decoy: the damaged record is lost, the rest read", () => {
    expectRecordTwoLost(damagedPcap());
  });

  it("a plausible header whose length points at no second header: a single candidate is not trusted", () => {
    const file = damagedPcap();
    // caplen 20: its successor would start inside the same record's data (pattern bytes).
    file.set(header(T0 + 1, 5, 20, 60), DATA + 8);
    expectRecordTwoLost(file);
  });

  // Each decoy's caplen points exactly at a real record header, so only the named check rejects it.
  const pointingAt = (at: number, target: number) => target - at - 16;
  const decoys: [string, (at: number) => Uint8Array][] = [
    ["original length below the captured length", (at) => header(T0 + 1, 5, pointingAt(at, rec(2)), 10)],
    ["original length above the largest record (262144)", (at) => header(T0 + 1, 5, pointingAt(at, rec(2)), 262_145)],
    [
      "captured length above the file's snaplen (pointing two records on)",
      (at) => header(T0 + 1, 5, pointingAt(at, rec(3)), 1500),
    ],
    ["a fraction of a second of 1,000,000 µs", (at) => header(T0 + 1, 1_000_000, pointingAt(at, rec(2)), 1500)],
    ["a time two days after the last record", (at) => header(T0 + 2 * 86_400, 5, pointingAt(at, rec(2)), 1500)],
    ["a time two days before the last record", (at) => header(T0 - 2 * 86_400, 5, pointingAt(at, rec(2)), 1500)],
  ];
  for (const [name, decoy] of decoys) {
    it(`a header pointing at the next real record, but with ${name}`, () => {
      const file = damagedPcap();
      file.set(decoy(DATA + 8), DATA + 8);
      expectRecordTwoLost(file);
    });
  }

  it("the same decoys are taken when nothing is wrong with them (the tests above can fail)", () => {
    const file = damagedPcap();
    file.set(header(T0 + 1, 5, pointingAt(DATA + 8, rec(2)), 1500), DATA + 8);
    const r = readPcap(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([rec(0), DATA + 8, rec(2), rec(3), rec(4)]);
  });

  it("at the end of the input, a candidate is taken only if its record ends exactly there", () => {
    // Damage the record before the last; a decoy at the end of its data claims a record that
    // would end 2 bytes before the end of the file (too close to hold another header).
    const file = pcapFile({ snaplen: SNAPLEN }, RECORDS);
    file.set(u32(0x00ff_ffff, "le"), rec(3) + 8);
    const at = rec(3) + 16 + 80;
    file.set(header(T0 + 3, 5, file.length - 2 - at - 16, 1500), at);
    const r = readPcap(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([rec(0), rec(1), rec(2), rec(4)]);
    expect(r.warnings.map((w) => w.offset)).toEqual([rec(3), rec(4)]);
    expect(readPcap(file, everyByte(file.length))).toEqual(r);
  });

  it("the first record damaged: no time to compare with yet, and the next two real headers are found", () => {
    const file = pcapFile({ snaplen: SNAPLEN }, RECORDS);
    file.set(u32(0x00ff_ffff, "le"), rec(0) + 8);
    const r = readPcap(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([rec(1), rec(2), rec(3), rec(4)]);
  });

  it("a decoy stays a decoy in a big-endian nanosecond file too (a fraction of 1e9 ns)", () => {
    const o = { endian: "be", resolution: "ns", snaplen: SNAPLEN } as const;
    const file = pcapFile(o, RECORDS);
    file.set(u32(0x00ff_ffff, "be"), rec(1) + 8);
    const decoy = bytes(u32(T0 + 1), u32(1_000_000_000), u32(rec(2) - DATA - 8 - 16), u32(1500));
    file.set(decoy, DATA + 8);
    const r = readPcap(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([rec(0), rec(2), rec(3), rec(4)]);
    // The same header with a fraction just below a second is a record.
    file.set(u32(999_999_999), DATA + 8 + 4);
    expect(readPcap(file).frames.map((f) => f.fileOffset)).toEqual([rec(0), DATA + 8, rec(2), rec(3), rec(4)]);
  });

  it("one real record of the file header's snaplen after the damage is found (caplen == snaplen is plausible)", () => {
    const recs: PcapRecord[] = [...RECORDS.slice(0, 2), { sec: T0 + 2, data: pattern(SNAPLEN, 9) }, RECORDS[3]!];
    const file = pcapFile({ snaplen: SNAPLEN }, recs);
    file.set(u32(0x00ff_ffff, "le"), rec(1) + 8);
    expect(readPcap(file).frames.map((f) => f.caplen)).toEqual([100, SNAPLEN, 100]);
  });
});

// ---------------------------------------------------------------------------------------------
// pcapng: SHB, IDB, five EPBs with 64 bytes of data; the second EPB's length damaged.

function layout(...blocks: Uint8Array[]): { file: Uint8Array; at: number[] } {
  const at: number[] = [];
  let o = 0;
  for (const b of blocks) {
    at.push(o);
    o += b.length;
  }
  return { file: bytes(...blocks), at };
}

const NG_BLOCKS = [
  shb("le"),
  idb("le", { linkType: LINKTYPE.RAW }),
  ...Array.from({ length: 5 }, (_, i) => epb("le", { timestamp: BigInt(i + 1), data: pattern(64, 0x40 + 0x10 * i) })),
];
const ng = layout(...NG_BLOCKS);
/** Offset of EPB i (0-based). */
const epbAt = (i: number) => ng.at[2 + i]!;
/** The damaged EPB's packet data (4-aligned): decoys go here. */
const NG_DATA = epbAt(1) + 28;

function damagedPcapng(): Uint8Array {
  const file = ng.file.slice();
  file.set(u32(13, "le"), epbAt(1) + 4);
  return file;
}

function readPcapng(file: Uint8Array, cuts: number[] = []) {
  return readChunks(new PcapngReader(), file, cuts);
}

function expectEpbTwoLost(file: Uint8Array) {
  const r = readPcapng(file);
  expect(r.error).toBeNull();
  expect(r.frames.map((f) => [f.number, f.nsec, f.fileOffset])).toEqual([
    [1, 1000, epbAt(0)],
    [2, 3000, epbAt(2)],
    [3, 4000, epbAt(3)],
    [4, 5000, epbAt(4)],
  ]);
  expect(r.warnings).toEqual([
    { offset: epbAt(1), message: "block length 13 is impossible; looking for the next valid block" },
    { offset: epbAt(2), message: `skipped ${epbAt(2) - epbAt(1)} damaged bytes; reading resumes here` },
  ]);
  expect(readPcapng(file, everyByte(file.length))).toEqual(r);
}

/** A little-endian block head (type, length) with a trailing length `trailer` at `length - 4`. */
function fakeBlock(type: number, length: number, trailer = length): Uint8Array {
  const b = pattern(Math.max(length, 8), 0x99);
  b.set(u32(type, "le"), 0);
  b.set(u32(length, "le"), 4);
  b.set(u32(trailer, "le"), length - 4);
  return b;
}

describe("pcapng resync: decoy blocks inside the damaged block's data", () => {
  it("without a decoy: the damaged block is lost, the rest read", () => {
    expectEpbTwoLost(damagedPcapng());
  });

  const decoys: [string, Uint8Array][] = [
    ["an unknown block type whose lengths agree", fakeBlock(0x1234_5678, 16)],
    ["a section header with no byte-order magic", fakeBlock(BLOCK.SHB, 28)],
    ["a block length of 8 (its trailing length is itself)", fakeBlock(BLOCK.EPB, 8)],
    ["a block length that is no multiple of 4", fakeBlock(BLOCK.EPB, 34)],
    ["a trailing length that disagrees", fakeBlock(BLOCK.EPB, 32, 36)],
  ];
  for (const [name, decoy] of decoys) {
    it(`${name}`, () => {
      const file = damagedPcapng();
      file.set(decoy, NG_DATA);
      expectEpbTwoLost(file);
    });
  }

  it("a well-formed block at an offset that is not a multiple of 4", () => {
    const file = damagedPcapng();
    file.set(epb("le", { timestamp: 99n, data: new Uint8Array(0) }), NG_DATA + 2);
    expectEpbTwoLost(file);
  });

  it("the same well-formed block 4-aligned is taken (the tests above can fail)", () => {
    const file = damagedPcapng();
    file.set(epb("le", { timestamp: 99n, data: new Uint8Array(0) }), NG_DATA);
    const r = readPcapng(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([epbAt(0), NG_DATA, epbAt(2), epbAt(3), epbAt(4)]);
  });

  it("a block length running past the end of the input: the real blocks after it are still found", () => {
    const file = damagedPcapng();
    file.set(fakeBlock(BLOCK.EPB, 32).subarray(0, 8), NG_DATA);
    file.set(u32(4096, "le"), NG_DATA + 4);
    expectEpbTwoLost(file);
  });

  it("a block length above 16 MiB whose trailing length agrees", () => {
    // A large custom block after the packets holds the decoy's trailing length.
    const big = customBlock("le", new Uint8Array(16 * 1024 * 1024 - 64));
    const { file, at } = layout(...NG_BLOCKS, big);
    file.set(u32(13, "le"), epbAt(1) + 4);
    const length = 16 * 1024 * 1024 + 4;
    file.set(fakeBlock(BLOCK.EPB, 32).subarray(0, 8), NG_DATA);
    file.set(u32(length, "le"), NG_DATA + 4);
    file.set(u32(length, "le"), NG_DATA + length - 4);
    expect(NG_DATA + length).toBeLessThan(at[7]! + big.length);
    const r = readPcapng(file);
    expect(r.frames.map((f) => f.fileOffset)).toEqual([epbAt(0), epbAt(2), epbAt(3), epbAt(4)]);
    expect(r.warnings).toEqual([
      { offset: epbAt(1), message: "block length 13 is impossible; looking for the next valid block" },
      { offset: epbAt(2), message: `skipped ${epbAt(2) - epbAt(1)} damaged bytes; reading resumes here` },
    ]);
  });
});
