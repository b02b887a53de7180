/**
 * Deterministic damage to a real capture: derived captures for tests, made from the bytes of a
 * classic pcap written by the kernel in the lab (captures/). Every function is pure: it takes the
 * file's bytes (gzip is inflated first) and returns a new classic pcap with the same file header,
 * the records otherwise byte for byte as they were. Nothing here looks inside a packet: records are
 * chosen by index (0-based: record i is Wireshark's frame i + 1), so a test picks them with the
 * decoders it trusts and says why.
 *
 * What a capture loses or gains on a real host, and the function that imitates it:
 * - the kernel or tcpdump dropped records (a gap):      removeRecords, dropRandom
 * - records written out of order (several CPUs, GRO):  swapAdjacent
 * - the same record twice (two interfaces, "-i any"):  duplicateRecords
 * - a long idle connection (keepalives minutes apart): shiftTimestamps, stretchGaps
 * - overlapping or concatenated capture files:          slice, concat, merge
 *
 * `scripts/derive-capture.mjs` runs these from the command line, to look at a result with tshark.
 */
import { gunzipSync } from "node:zlib";

/** A classic pcap split into its parts; `records[i]` holds the 16-byte record header and the data. */
export interface Pcap {
  header: Uint8Array;
  records: Uint8Array[];
  littleEndian: boolean;
  /** Units of the fraction field per second: 1e6 (µs, magic a1b2c3d4) or 1e9 (ns, a1b23c4d). */
  unitsPerSecond: number;
}

const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/** Inflate gzip (wscale and tshark read .pcap.gz, so the lab commits some captures that way). */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
}

export function parsePcap(input: Uint8Array): Pcap {
  const bytes = plain(input);
  if (bytes.length < FILE_HEADER) throw new Error(`not a classic pcap: ${bytes.length} bytes, a file header is 24`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const MAGIC: Record<number, [boolean, number]> = {
    3569595041: [true, 1e6],
    2712847316: [false, 1e6],
    1295823521: [true, 1e9],
    2712812621: [false, 1e9],
  };
  const kind = MAGIC[view.getUint32(0, false)];
  if (!kind) {
    throw new Error(`not a classic pcap (magic ${view.getUint32(0, false).toString(16).padStart(8, "0")})`);
  }
  const [littleEndian, unitsPerSecond] = kind;
  const records: Uint8Array[] = [];
  let off = FILE_HEADER;
  while (off < bytes.length) {
    if (off + RECORD_HEADER > bytes.length) throw new Error(`record ${records.length}: header cut at byte ${off}`);
    const caplen = view.getUint32(off + 8, littleEndian);
    const end = off + RECORD_HEADER + caplen;
    if (end > bytes.length)
      throw new Error(`record ${records.length}: ${caplen} data bytes at ${off} run past the end`);
    records.push(bytes.subarray(off, end));
    off = end;
  }
  return { header: bytes.subarray(0, FILE_HEADER), records, littleEndian, unitsPerSecond };
}

export function writePcap(p: Pcap): Uint8Array {
  const out = new Uint8Array(p.header.length + p.records.reduce((n, r) => n + r.length, 0));
  out.set(p.header, 0);
  let off = p.header.length;
  for (const r of p.records) {
    out.set(r, off);
    off += r.length;
  }
  return out;
}

function withRecords(p: Pcap, records: Uint8Array[]): Uint8Array {
  return writePcap({ ...p, records });
}

function checkIndices(p: Pcap, indices: readonly number[]): Set<number> {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= p.records.length) {
      throw new Error(`record index ${i} out of range (0..${p.records.length - 1})`);
    }
  }
  return new Set(indices);
}

/** Record i's time stamp in units of the file (µs or ns since the epoch), exactly. */
export function timestamp(p: Pcap, i: number): bigint {
  const r = p.records[i]!;
  const v = new DataView(r.buffer, r.byteOffset, RECORD_HEADER);
  return BigInt(v.getUint32(0, p.littleEndian)) * BigInt(p.unitsPerSecond) + BigInt(v.getUint32(4, p.littleEndian));
}

/** A copy of a record with its time stamp moved by `units` (µs or ns), carrying into the seconds. */
function retimed(p: Pcap, i: number, units: bigint): Uint8Array {
  const t = timestamp(p, i) + units;
  const perSecond = BigInt(p.unitsPerSecond);
  const sec = t / perSecond;
  if (t < 0n || sec > 0xffffffffn) throw new Error(`record ${i}: time stamp out of range after the shift`);
  const r = p.records[i]!.slice();
  const v = new DataView(r.buffer, 0, RECORD_HEADER);
  v.setUint32(0, Number(sec), p.littleEndian);
  v.setUint32(4, Number(t % perSecond), p.littleEndian);
  return r;
}

function toUnits(p: Pcap, seconds: number): bigint {
  return BigInt(Math.round(seconds * p.unitsPerSecond));
}

/** The records' count, to pick indices. */
export function recordCount(bytes: Uint8Array): number {
  return parsePcap(bytes).records.length;
}

/** Without the records at these indices: a capture that missed them. */
export function removeRecords(bytes: Uint8Array, indices: readonly number[]): Uint8Array {
  const p = parsePcap(bytes);
  const gone = checkIndices(p, indices);
  return withRecords(
    p,
    p.records.filter((_, i) => !gone.has(i)),
  );
}

/**
 * mulberry32: a small 32-bit PRNG with a seed, so a "random" drop is the same on every run and every
 * machine (Math.random is neither).
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Each record dropped with probability percent / 100, independently, from a seeded PRNG; the records
 * in `protect` (e.g. the handshake) are never dropped and draw no number. Returns the capture and
 * the indices dropped, so a test can say which.
 */
export function dropRandom(
  bytes: Uint8Array,
  percent: number,
  seed: number,
  protect: readonly number[] = [],
): { bytes: Uint8Array; dropped: number[] } {
  if (!(percent >= 0 && percent <= 100)) throw new Error(`percent must be 0..100, not ${percent}`);
  const p = parsePcap(bytes);
  const keep = checkIndices(p, protect);
  const next = prng(seed);
  const dropped = p.records.flatMap((_, i) => (!keep.has(i) && next() < percent / 100 ? [i] : []));
  return { bytes: removeRecords(bytes, dropped), dropped };
}

/** Records i and i + 1 change places (time stamps travel with their records, as a capture writes them). */
export function swapAdjacent(bytes: Uint8Array, i: number): Uint8Array {
  const p = parsePcap(bytes);
  checkIndices(p, [i, i + 1]);
  const records = [...p.records];
  [records[i], records[i + 1]] = [records[i + 1]!, records[i]!];
  return withRecords(p, records);
}

/** Each record at these indices written twice, the copy right after the original. */
export function duplicateRecords(bytes: Uint8Array, indices: readonly number[]): Uint8Array {
  const p = parsePcap(bytes);
  const twice = checkIndices(p, indices);
  return withRecords(
    p,
    p.records.flatMap((r, i) => (twice.has(i) ? [r, r] : [r])),
  );
}

/**
 * Every record after index `after` moved `seconds` later (negative: earlier), exactly in the file's
 * units; `after` = -1 moves them all. Only time stamps change.
 */
export function shiftTimestamps(bytes: Uint8Array, after: number, seconds: number): Uint8Array {
  const p = parsePcap(bytes);
  if (!Number.isInteger(after) || after < -1 || after >= p.records.length) {
    throw new Error(`index ${after} out of range (-1..${p.records.length - 1})`);
  }
  const d = toUnits(p, seconds);
  return withRecords(
    p,
    p.records.map((r, i) => (i > after ? retimed(p, i, d) : r)),
  );
}

/**
 * Every pause of at least `minGap` seconds between consecutive records made exactly `newGap`
 * seconds long, by moving all later records: a connection idle for 2 s between keepalives becomes
 * one idle for 360 s, with everything else as captured. Returns the capture and the indices of the
 * records that end a stretched pause.
 */
export function stretchGaps(
  bytes: Uint8Array,
  minGap: number,
  newGap: number,
): { bytes: Uint8Array; stretched: number[] } {
  const p = parsePcap(bytes);
  const min = toUnits(p, minGap);
  const target = toUnits(p, newGap);
  let shift = 0n;
  const stretched: number[] = [];
  const records = p.records.map((r, i) => {
    if (i > 0) {
      const gap = timestamp(p, i) - timestamp(p, i - 1);
      if (gap >= min) {
        shift += target - gap;
        stretched.push(i);
      }
    }
    return shift === 0n ? r : retimed(p, i, shift);
  });
  return { bytes: withRecords(p, records), stretched };
}

/** Records [start, end) only (a capture started late or stopped early). */
export function slice(bytes: Uint8Array, start: number, end?: number): Uint8Array {
  const p = parsePcap(bytes);
  return withRecords(p, p.records.slice(start, end));
}

function sameKind(captures: Pcap[]): void {
  const [first, ...rest] = captures;
  for (const c of rest) {
    // Link type (bytes 20-23) and byte order/precision must agree for the records to mean the same.
    if (c.littleEndian !== first!.littleEndian || c.unitsPerSecond !== first!.unitsPerSecond) {
      throw new Error("captures differ in byte order or time stamp precision");
    }
    const link = (p: Pcap) => new DataView(p.header.buffer, p.header.byteOffset + 20, 4).getUint32(0, p.littleEndian);
    if (link(c) !== link(first!)) throw new Error(`captures differ in link type (${link(first!)}, ${link(c)})`);
  }
}

/**
 * The records of every capture one after the other, under the first one's file header (a rotated
 * capture joined, or two overlapping pieces of one: the overlap then appears twice).
 */
export function concat(...inputs: Uint8Array[]): Uint8Array {
  const captures = inputs.map(parsePcap);
  sameKind(captures);
  return withRecords(
    captures[0]!,
    captures.flatMap((c) => c.records),
  );
}

/**
 * The records of every capture in time order (as mergecap does); on equal time stamps the earlier
 * input's record first. The same traffic seen at two points, or one file given twice, in one stream.
 */
export function merge(...inputs: Uint8Array[]): Uint8Array {
  const captures = inputs.map(parsePcap);
  sameKind(captures);
  const all = captures.flatMap((c, k) => c.records.map((r, i) => ({ r, t: timestamp(c, i), k, i })));
  all.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.k - b.k || a.i - b.i));
  return withRecords(
    captures[0]!,
    all.map((x) => x.r),
  );
}
