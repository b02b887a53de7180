/**
 * test/helpers/derive.ts: damaged captures derived from real ones. Every operation is checked
 * against the bytes of the original (which records, byte for byte, in which order, with which time
 * stamps) and, where Wireshark's editcap and mergecap do the same thing, against their output.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { pcapFile } from "./helpers/capture-builder.js";
import {
  concat,
  dropRandom,
  duplicateRecords,
  merge,
  parsePcap,
  prng,
  recordCount,
  removeRecords,
  shiftTimestamps,
  slice,
  stretchGaps,
  swapAdjacent,
  timestamp,
  writePcap,
} from "./helpers/derive.js";
import { requireTools } from "./helpers/tools.js";

const CAPTURES = join(import.meta.dirname, "..", "captures");
const read = (f: string) => new Uint8Array(readFileSync(join(CAPTURES, f)));
const SEED = read("rewrite-syn-0.client.pcap"); // 526 records, µs, little-endian: the seed case
const NANO = read("healthy-ns.client.pcap"); // nanosecond time stamps

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** The records of a capture as hex strings, to compare sequences. */
const records = (b: Uint8Array) => parsePcap(b).records.map(hex);
/** Time stamps in the file's units. */
const times = (b: Uint8Array) => {
  const p = parsePcap(b);
  return p.records.map((_, i) => timestamp(p, i));
};

describe("parsePcap / writePcap", () => {
  it("splits a real capture into its 526 records and writes back the same bytes", () => {
    const p = parsePcap(SEED);
    expect(p).toMatchObject({ littleEndian: true, unitsPerSecond: 1e6 });
    expect(p.records).toHaveLength(526);
    // Record 0 is the client's SYN: 74 bytes on the wire, all captured (snaplen 96).
    expect(p.records[0]!.length).toBe(16 + 74);
    expect(hex(writePcap(p))).toBe(hex(SEED));
  });

  it("reads nanosecond, big-endian and gzip files", () => {
    expect(parsePcap(NANO)).toMatchObject({ littleEndian: true, unitsPerSecond: 1e9 });
    const be = pcapFile({ endian: "be", resolution: "ns" }, [
      { sec: 7, frac: 999_999_999, data: new Uint8Array([1, 2, 3]) },
      { sec: 8, frac: 5, data: new Uint8Array([4]) },
    ]);
    const p = parsePcap(be);
    expect(p).toMatchObject({ littleEndian: false, unitsPerSecond: 1e9 });
    expect(times(be)).toEqual([7_999_999_999n, 8_000_000_005n]);
    expect(hex(writePcap(parsePcap(gzipSync(SEED))))).toBe(hex(SEED));
  });

  it("refuses what is not a whole classic pcap, saying where", () => {
    expect(() => parsePcap(read("healthy-pcapng.client.pcapng"))).toThrow("not a classic pcap (magic 0a0d0d0a)");
    expect(() => parsePcap(SEED.subarray(0, 20))).toThrow("a file header is 24");
    expect(() => parsePcap(SEED.subarray(0, SEED.length - 1))).toThrow(
      "record 525: 66 data bytes at 50894 run past the end",
    );
    expect(() => parsePcap(SEED.subarray(0, 24 + 90 + 5))).toThrow("record 1: header cut at byte 114");
  });
});

describe("removeRecords, dropRandom: a capture that missed records", () => {
  it("removes exactly the records named, the rest unchanged and in order", () => {
    const out = removeRecords(SEED, [2, 525, 100]);
    const want = records(SEED).filter((_, i) => ![2, 100, 525].includes(i));
    expect(records(out)).toEqual(want);
    expect(recordCount(out)).toBe(523);
    expect(hex(out.subarray(0, 24))).toBe(hex(SEED.subarray(0, 24)));
    expect(() => removeRecords(SEED, [526])).toThrow("record index 526 out of range (0..525)");
  });

  it("drops each record with the given probability from a seeded PRNG: same seed, same capture", () => {
    const a = dropRandom(SEED, 2, 1);
    const b = dropRandom(SEED, 2, 1);
    const c = dropRandom(SEED, 2, 2);
    expect(hex(a.bytes)).toBe(hex(b.bytes));
    expect(a.dropped).toEqual(b.dropped);
    expect(a.dropped).not.toEqual(c.dropped);
    // The drawn numbers are the PRNG's, in record order: record i is dropped iff its draw is < 0.02.
    const next = prng(1);
    expect(a.dropped).toEqual(SEED_INDICES.filter(() => next() < 0.02));
    expect(recordCount(a.bytes)).toBe(526 - a.dropped.length);
    expect(records(a.bytes)).toEqual(records(SEED).filter((_, i) => !a.dropped.includes(i)));
    // 2% of 526 is 10.5; a binomial draw lands within 1..25 with probability > 0.9999.
    expect(a.dropped.length).toBeGreaterThanOrEqual(1);
    expect(a.dropped.length).toBeLessThanOrEqual(25);
  });

  it("never drops protected records, and they draw no number", () => {
    const all = dropRandom(SEED, 100, 7, [0, 1, 2]);
    expect(all.dropped).toEqual(SEED_INDICES.slice(3));
    expect(records(all.bytes)).toEqual(records(SEED).slice(0, 3));
    expect(dropRandom(SEED, 0, 7).dropped).toEqual([]);
    // Protecting the handshake shifts the draws by three: record 3 gets the first number.
    const next = prng(9);
    expect(dropRandom(SEED, 50, 9, [0, 1, 2]).dropped).toEqual(SEED_INDICES.slice(3).filter(() => next() < 0.5));
    expect(() => dropRandom(SEED, 101, 1)).toThrow("percent must be 0..100");
  });

  it("a derived capture stays the same capture: seed 1 at 2% drops these records of the seed case", () => {
    // Pinned so that tests built on a derived file (and the PRNG behind it) cannot change under them.
    expect(dropRandom(SEED, 2, 1).dropped).toEqual(PINNED_SEED_1_2PCT);
  });
});

describe("swapAdjacent, duplicateRecords: records out of order or twice", () => {
  it("swaps two neighbours and nothing else; swapping again restores the file", () => {
    const out = swapAdjacent(SEED, 4);
    const r = records(SEED);
    expect(records(out)).toEqual([...r.slice(0, 4), r[5], r[4], ...r.slice(6)]);
    expect(hex(swapAdjacent(out, 4))).toBe(hex(SEED));
    // The time stamps travel with their records: the file now goes back in time once.
    const t = times(out);
    expect(t[4]! > t[5]!).toBe(true);
    expect(() => swapAdjacent(SEED, 525)).toThrow("record index 526 out of range");
  });

  it("writes each named record twice, the copy right after it", () => {
    const out = duplicateRecords(SEED, [0, 10]);
    const r = records(SEED);
    expect(records(out)).toEqual([r[0], r[0], ...r.slice(1, 11), r[10], ...r.slice(11)]);
    expect(recordCount(out)).toBe(528);
  });
});

describe("shiftTimestamps, stretchGaps: long idle periods", () => {
  it("moves every record after the index by exactly the shift, carrying microseconds into seconds", () => {
    const before = times(SEED);
    const out = shiftTimestamps(SEED, 9, 360.999_999);
    const after = times(out);
    expect(after.slice(0, 10)).toEqual(before.slice(0, 10));
    expect(after.slice(10)).toEqual(before.slice(10).map((t) => t + 360_999_999n));
    // Only the 8 time stamp bytes of each moved record changed.
    const p = parsePcap(SEED);
    const q = parsePcap(out);
    for (let i = 10; i < 526; i++) expect(hex(q.records[i]!.subarray(8))).toBe(hex(p.records[i]!.subarray(8)));
  });

  it("moves nanosecond time stamps in nanoseconds, and backwards too", () => {
    const out = shiftTimestamps(NANO, -1, -0.000_000_001);
    expect(times(out)).toEqual(times(NANO).map((t) => t - 1n));
    expect(() => shiftTimestamps(NANO, -1, -4e9)).toThrow("time stamp out of range after the shift");
  });

  it("stretches every pause of at least minGap to exactly newGap and leaves the rest as captured", () => {
    // A synthetic capture with pauses of 2.5 s and 3 s between bursts 10 ms apart.
    const at = [0, 0.01, 0.02, 2.52, 2.53, 5.53, 5.54];
    const file = pcapFile(
      { resolution: "us" },
      at.map((s, i) => ({ sec: 1000 + Math.floor(s), frac: Math.round((s % 1) * 1e6), data: new Uint8Array([i]) })),
    );
    const { bytes, stretched } = stretchGaps(file, 1, 360);
    expect(stretched).toEqual([3, 5]);
    const t = times(bytes).map((x) => Number(x - 1_000_000_000n) / 1e6);
    expect(t).toEqual([0, 0.01, 0.02, 360.02, 360.03, 720.03, 720.04]);
    expect(records(bytes).map((r) => r.slice(32))).toEqual(records(file).map((r) => r.slice(32)));
  });

  it("on a real capture: the seed case's pauses of a round trip become 10 s each", () => {
    // 63-byte segments, one per ~20.6 ms round trip: every gap above 15 ms is a pause.
    const { bytes, stretched } = stretchGaps(SEED, 0.015, 10);
    const t = times(bytes);
    expect(stretched.length).toBeGreaterThan(200);
    for (const i of stretched) expect(t[i]! - t[i - 1]!).toBe(10_000_000n);
    expect(recordCount(bytes)).toBe(526);
  });
});

describe("slice, concat, merge: overlapping and combined captures", () => {
  it("two overlapping pieces of one capture, joined: the overlap appears twice", () => {
    const out = concat(slice(SEED, 0, 300), slice(SEED, 250));
    const r = records(SEED);
    expect(records(out)).toEqual([...r.slice(0, 300), ...r.slice(250)]);
    expect(recordCount(out)).toBe(576);
  });

  it("merges the two vantage points of one transfer in time order, each record once per input", () => {
    const client = read("healthy.client.pcap");
    const server = read("healthy.server.pcap");
    const out = merge(client, server);
    expect(recordCount(out)).toBe(2 * 1397);
    const t = times(out);
    for (let i = 1; i < t.length; i++) expect(t[i]! >= t[i - 1]!).toBe(true);
    expect(records(out).sort()).toEqual([...records(client), ...records(server)].sort());
    // The same file twice: every record and its copy side by side (equal time stamps: input order).
    expect(records(merge(SEED, SEED))).toEqual(records(SEED).flatMap((r) => [r, r]));
  });

  it("refuses to combine captures whose records mean different things", () => {
    expect(() => concat(SEED, NANO)).toThrow("time stamp precision");
    const sll = read("healthy-any.client.pcap");
    expect(() => merge(SEED, sll)).toThrow("link type (1, 113)");
  });
});

describe("scripts/derive-capture.mjs: the same operations from the command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "wscale-derive-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(import.meta.dirname, "../scripts/derive-capture.mjs"), ...args], {
      encoding: "utf8",
    });

  it("applies the operations in order and writes the file the helpers would", () => {
    const out = join(dir, "seed-damaged.pcap");
    const r = cli(
      join(CAPTURES, "rewrite-syn-0.client.pcap"),
      out,
      "remove",
      "4",
      "drop",
      "2",
      "1",
      "0,1,2",
      "swap",
      "10",
    );
    expect(r.status, r.stderr).toBe(0);
    const step1 = removeRecords(SEED, [4]);
    const step2 = dropRandom(step1, 2, 1, [0, 1, 2]);
    expect(hex(new Uint8Array(readFileSync(out)))).toBe(hex(swapAdjacent(step2.bytes, 10)));
    expect(r.stderr).toBe(
      `${out}: ${525 - step2.dropped.length} records (from 526); dropped ${step2.dropped.length}: ${step2.dropped.join(",")}\n`,
    );
  }, 60_000);

  it("refuses to write over its input, and names a bad operation; exit 2", () => {
    const input = join(dir, "copy.pcap");
    copyFileSync(join(CAPTURES, "rewrite-syn-0.client.pcap"), input);
    const over = cli(input, input, "remove", "1");
    expect(over.status).toBe(2);
    expect(over.stderr).toContain(`derive-capture: ${input} is one of the inputs`);
    expect(hex(new Uint8Array(readFileSync(input)))).toBe(hex(SEED));
    const bad = cli(input, join(dir, "x.pcap"), "remove", "600");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("derive-capture: record index 600 out of range (0..525)");
    expect(cli(input, join(dir, "y.pcap"), "twist", "1").stderr).toContain("unknown operation twist");
  }, 60_000);
});

requireTools(["tshark"]).it(
  "keepalive.client.pcap past the 300 s idle timeout: each pause ends at a keepalive tshark names, then the data resumes",
  () => {
    const file = join(CAPTURES, "keepalive.client.pcap");
    const keepalives = execFileSync(
      "tshark",
      ["-r", file, "-T", "fields", "-e", "frame.number", "-Y", "tcp.analysis.keep_alive"],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      },
    )
      .trim()
      .split("\n")
      .map(Number);
    expect(keepalives).toHaveLength(3); // TCP_KEEPIDLE 2 s during 7 s of silence
    const { bytes, stretched } = stretchGaps(read("keepalive.client.pcap"), 1, 360);
    // Records are 0-based, frames 1-based; the last pause ends with the second half of the data.
    expect(stretched.slice(0, 3).map((i) => i + 1)).toEqual(keepalives);
    expect(stretched).toHaveLength(4);
    const t = times(bytes);
    for (const i of stretched) expect(t[i]! - t[i - 1]!).toBe(360_000_000n);
    expect(recordCount(bytes)).toBe(recordCount(read("keepalive.client.pcap")));
  },
  60_000,
);

const SEED_INDICES = Array.from({ length: 526 }, (_, i) => i);
const PINNED_SEED_1_2PCT = [1, 110, 172, 199, 219, 241, 278, 284, 315, 351, 389, 412, 515];

const wireshark = requireTools(["editcap", "mergecap"]);
wireshark.describe("the same operations by editcap and mergecap give the same records", () => {
  const dir = mkdtempSync(join(tmpdir(), "wscale-derive-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  /** Run the tool with OUT standing for a fresh output file; returns that file's bytes. */
  const run = (tool: string, args: string[]) => {
    const out = join(dir, `${tool}-${++n}.pcap`);
    execFileSync(
      tool,
      args.map((a) => (a === "OUT" ? out : a)),
      { stdio: "ignore" },
    );
    return new Uint8Array(readFileSync(out));
  };

  it("removeRecords = editcap with 1-based frame numbers, byte for byte", () => {
    const theirs = run("editcap", [
      "-F",
      "pcap",
      join(CAPTURES, "rewrite-syn-0.client.pcap"),
      "OUT",
      "3",
      "101",
      "526",
    ]);
    expect(hex(removeRecords(SEED, [2, 100, 525]))).toBe(hex(theirs));
  });

  it("shiftTimestamps of every record = editcap -t, in microseconds and in nanoseconds", () => {
    const us = run("editcap", ["-F", "pcap", "-t", "360.25", join(CAPTURES, "rewrite-syn-0.client.pcap"), "OUT"]);
    expect(hex(shiftTimestamps(SEED, -1, 360.25))).toBe(hex(us));
    const ns = run("editcap", [
      "-F",
      "nsecpcap",
      "-t",
      "-0.000000123",
      join(CAPTURES, "healthy-ns.client.pcap"),
      "OUT",
    ]);
    expect(hex(shiftTimestamps(NANO, -1, -0.000_000_123))).toBe(hex(ns));
  });

  it("merge = mergecap's record order (mergecap writes its own snaplen in the file header)", () => {
    const [c, s] = ["client", "server"].map((side) => join(CAPTURES, `zero-window.${side}.pcap`));
    const theirs = run("mergecap", ["-F", "pcap", "-w", "OUT", c!, s!]);
    const ours = merge(read("zero-window.client.pcap"), read("zero-window.server.pcap"));
    expect(records(ours)).toEqual(records(theirs));
  });
});
