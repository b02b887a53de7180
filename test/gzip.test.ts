/**
 * gunzip with recovery (src/capture/gzip.ts over src/capture/inflate.ts), with zlib as the oracle:
 * whole streams must decompress exactly as zlib does them, whatever the pieces they arrive in; a
 * damaged one must keep at least everything zlib can decode from the bytes before the damage, and
 * refuse exactly where zlib refuses, with zlib's words.
 */

import { constants, crc32, deflateRawSync, inflateRawSync, gzipSync as zlibGzip } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gunzip } from "../src/capture/gzip.js";
import type { CaptureIssue } from "../src/capture/issue.js";
import { InputError } from "../src/capture/issue.js";
import { bytes, pattern, u16, u32 } from "./helpers/capture-builder.js";

/** A compressed source that hands out `pieces` bytes at a time (cycling through the list). */
function source(data: Uint8Array, pieces: number[] = [1 << 20]) {
  let at = 0;
  let i = 0;
  return async (buf: Uint8Array, offset: number, length: number) => {
    const n = Math.min(length, pieces[i++ % pieces.length]!, data.length - at);
    buf.set(data.subarray(at, at + n), offset);
    at += n;
    return n;
  };
}

interface Result {
  out: Uint8Array;
  warnings: CaptureIssue[];
  error: InputError | null;
}

/** Decompress all of `gz`, reading `reads` bytes at a time; an InputError is returned, not thrown. */
async function gunzipAll(gz: Uint8Array, pieces?: number[], reads = [1 << 20]): Promise<Result> {
  const g = gunzip("in.gz", source(gz, pieces));
  const parts: Uint8Array[] = [];
  let error: InputError | null = null;
  try {
    for (let i = 0; ; i++) {
      const buf = new Uint8Array(reads[i % reads.length]!);
      const n = await g.read(buf, 0, buf.length);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    error = e;
  }
  return { out: bytes(...parts), warnings: g.warnings, error };
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** zlib's gzip as a plain Uint8Array (a Buffer's slice() is a view: edits would reach the original). */
const gzipSync = (data: Uint8Array, o?: Parameters<typeof zlibGzip>[1]) => new Uint8Array(zlibGzip(data, o));

/** Data shaped like captures: headers that repeat with small changes, payload runs, and noise. */
const captureLike = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc
        .record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 3000 }) })
        .map(({ byte, n }) => new Uint8Array(n).fill(byte)),
      fc.integer({ min: 1, max: 2000 }).map((n) => pattern(n, n)),
    ),
    { maxLength: 40 },
  )
  .map((parts) => bytes(...parts));

/** A gzip member by hand: optional header fields (RFC 1952) around a raw deflate body. */
function member(
  data: Uint8Array,
  o: {
    name?: string;
    comment?: string;
    extra?: Uint8Array;
    headerCrc?: number | "right";
    flags?: number;
    method?: number;
  } = {},
): Uint8Array {
  let flags = o.flags ?? 0;
  const fields: Uint8Array[] = [];
  if (o.extra) {
    flags |= 4;
    fields.push(u16(o.extra.length, "le"), o.extra);
  }
  if (o.name !== undefined) {
    flags |= 8;
    fields.push(new TextEncoder().encode(`${o.name}\0`));
  }
  if (o.comment !== undefined) {
    flags |= 16;
    fields.push(new TextEncoder().encode(`${o.comment}\0`));
  }
  if (o.headerCrc !== undefined) flags |= 2;
  const head = bytes([0x1f, 0x8b, o.method ?? 8, flags], u32(1_700_000_000, "le"), [0, 3], ...fields);
  const hcrc = o.headerCrc === undefined ? [] : u16(o.headerCrc === "right" ? crc32(head) & 0xffff : o.headerCrc, "le");
  return bytes(head, hcrc, deflateRawSync(data), u32(crc32(data), "le"), u32(data.length, "le"));
}

describe("gunzip: whole streams", () => {
  it("any data, any level and strategy, any pieces of input and sizes of reads: exactly the original, no warning", async () => {
    await fc.assert(
      fc.asyncProperty(
        captureLike,
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(
          constants.Z_DEFAULT_STRATEGY,
          constants.Z_FILTERED,
          constants.Z_HUFFMAN_ONLY,
          constants.Z_RLE,
          constants.Z_FIXED,
        ),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 5 }),
        async (data, level, strategy, pieces, reads) => {
          const r = await gunzipAll(gzipSync(data, { level, strategy }), pieces, reads);
          expect(r.error).toBeNull();
          expect(r.warnings).toEqual([]);
          expect(same(r.out, data)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a megabyte in pieces of input of every size (its first 100 kB one byte at a time)", async () => {
    const data = bytes(...Array.from({ length: 130 }, (_, i) => bytes(pattern(5000, i), new Uint8Array(3000).fill(i))));
    const gz = gzipSync(data);
    const small = gzipSync(data.subarray(0, 100_000));
    const one = await gunzipAll(small, [1]);
    expect([one.error, one.warnings, one.out.length]).toEqual([null, [], 100_000]);
    expect(same(one.out, data.subarray(0, 100_000))).toBe(true);
    for (const pieces of [[65_536], [7, 300_000]]) {
      const r = await gunzipAll(gz, pieces);
      expect([r.error, r.warnings, r.out.length]).toEqual([null, [], data.length]);
      expect(same(r.out, data)).toBe(true);
    }
  });

  it("a multi-member file (cat a.gz b.gz c.gz, one of them empty) is their concatenation, without a warning", async () => {
    const parts = [pattern(70_000, 1), new Uint8Array(0), pattern(5, 2), new Uint8Array(100_000).fill(7)];
    const r = await gunzipAll(bytes(...parts.map((p) => gzipSync(p))), [4096]);
    expect([r.error, r.warnings]).toEqual([null, []]);
    expect(same(r.out, bytes(...parts))).toBe(true);
  });

  it("header fields: extra, name, comment and a header checksum are skipped", async () => {
    const data = pattern(1000);
    const gz = member(data, {
      extra: pattern(300),
      name: "capture.pcap",
      comment: "x".repeat(700),
      headerCrc: "right",
    });
    for (const pieces of [[1], [3, 11], [1 << 20]]) {
      const r = await gunzipAll(gz, pieces);
      expect([r.error, r.warnings]).toEqual([null, []]);
      expect(same(r.out, data)).toBe(true);
    }
  });
});

describe("gunzip: damage around the data (the data itself is whole)", () => {
  const data = pattern(50_000);
  const gz = gzipSync(data);
  const end = gz.length;

  it("a wrong CRC-32 in the trailer: every byte kept, a warning at the trailer", async () => {
    const bad = gz.slice();
    bad[end - 8]! ^= 1;
    const r = await gunzipAll(bad);
    expect(same(r.out, data)).toBe(true);
    const want = crc32(data) >>> 0;
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    expect(r.warnings).toEqual([
      {
        offset: end - 8,
        message: `gzip: the member's CRC-32 ${hex(want ^ 1)} does not match its data (${hex(want)}); the data is kept`,
      },
    ]);
  });

  it("a wrong length in the trailer: every byte kept, a warning at the length", async () => {
    const bad = bytes(gz.subarray(0, end - 4), u32(50_001, "le"));
    const r = await gunzipAll(bad);
    expect(same(r.out, data)).toBe(true);
    expect(r.warnings).toEqual([
      {
        offset: end - 4,
        message:
          "gzip: the member's length field 50001 does not match its data (50000 bytes mod 2^32); the data is kept",
      },
    ]);
  });

  it("garbage after the stream: every byte kept, a warning where it starts; zero padding is accepted silently", async () => {
    const r = await gunzipAll(bytes(gz, new TextEncoder().encode("garbage!")), [1000]);
    expect(same(r.out, data)).toBe(true);
    expect(r.warnings).toEqual([
      { offset: end, message: "gzip: the 8 bytes after the end of the compressed data are not gzip data; ignored" },
    ]);
    const padded = await gunzipAll(bytes(gz, new Uint8Array(3000)), [1000]);
    expect([padded.warnings, padded.out.length]).toEqual([[], data.length]);
    const oneByte = await gunzipAll(bytes(gz, [0x1f]));
    expect(oneByte.warnings.map((w) => [w.offset, w.message])).toEqual([
      [end, "gzip: the 1 bytes after the end of the compressed data are not gzip data; ignored"],
    ]);
  });

  it("a later member with a damaged header: the members before it kept, the rest ignored with a warning", async () => {
    const second = member(pattern(10), { method: 7 });
    const r = await gunzipAll(bytes(gz, second, gz));
    expect(same(r.out, data)).toBe(true);
    expect(r.warnings).toEqual([
      {
        offset: end,
        message: `gzip: the ${second.length + end} bytes after the end of the compressed data start a damaged gzip header (unknown compression method 7); ignored`,
      },
    ]);
  });

  it("the file cut inside the trailer: the data is complete but unchecked", async () => {
    for (let cut = 1; cut <= 8; cut++) {
      const r = await gunzipAll(gz.subarray(0, end - cut));
      expect(same(r.out, data)).toBe(true);
      expect(r.warnings).toEqual([
        {
          offset: end - 8,
          message: `gzip: the compressed data ends inside a member's trailer (${8 - cut} of 8 bytes); its data is complete but unchecked`,
        },
      ]);
    }
  });

  it("a wrong header checksum is a warning; reading goes on", async () => {
    const gz2 = member(data, { name: "a", headerCrc: 0x1234 });
    const r = await gunzipAll(gz2);
    expect(same(r.out, data)).toBe(true);
    expect(r.warnings).toEqual([
      { offset: 12, message: "gzip: header checksum does not match the header; reading on" },
    ]);
  });

  it("a first member whose header cannot be read is an InputError naming the byte", async () => {
    const cases: [Uint8Array, string][] = [
      [member(data, { method: 7 }), "gzip: damaged header (unknown compression method 7)"],
      [member(data, { flags: 0x20 }), "gzip: damaged header (reserved flags 0x20 set)"],
      [gz.subarray(0, 6), "gzip: damaged header (the data ends inside it)"],
      [member(data, { name: "cut" }).subarray(0, 12), "gzip: damaged header (the data ends inside it)"],
    ];
    for (const [input, message] of cases) {
      const r = await gunzipAll(input);
      expect(r.out.length).toBe(0);
      expect([r.error?.offset, r.error?.detail]).toEqual([0, message]);
    }
  });
});

/** Everything zlib decodes from a raw deflate prefix (null if it finds damage in it). */
function zlibPrefix(body: Uint8Array): Uint8Array | null {
  try {
    return inflateRawSync(body, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return null;
  }
}

function zlibError(body: Uint8Array): string | null {
  try {
    inflateRawSync(body);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

describe("gunzip: damage inside the compressed data, against zlib", () => {
  const data = bytes(...Array.from({ length: 60 }, (_, i) => bytes(pattern(400, i * 7), new Uint8Array(200).fill(i))));
  const gz = gzipSync(data);
  const BODY = 10; // gzipSync writes a 10-byte header
  const body = gz.subarray(BODY, gz.length - 8);

  it("the file cut at every offset inside the data: exactly what zlib decodes from the cut, and one warning", async () => {
    for (let cut = BODY + 1; cut < gz.length - 8; cut += 11) {
      const r = await gunzipAll(gz.subarray(0, cut), [97]);
      const zlib = zlibPrefix(body.subarray(0, cut - BODY))!;
      if (zlib.length === 0) {
        expect(r.error?.detail, `cut ${cut}`).toBe("gzip: compressed data ends inside a block");
        continue;
      }
      expect(same(r.out, zlib), `cut at ${cut}`).toBe(true);
      expect(r.warnings).toEqual([
        {
          offset: cut,
          message: `gzip: the compressed data ends inside a member (the file is cut short); kept the ${zlib.length} bytes decompressed`,
        },
      ]);
    }
  });

  it("a byte changed anywhere in the data: no byte zlib can decode before the damage is lost, and it stops where zlib does", async () => {
    let damaged = 0;
    for (let at = BODY; at < gz.length - 8; at += 4) {
      const bad = gz.slice();
      bad[at]! ^= 0x5a;
      const badBody = bad.subarray(BODY, bad.length - 8);
      const zlibMessage = zlibError(badBody);
      const r = await gunzipAll(bad, [1000]);
      if (zlibMessage === null) continue; // the change gave other valid data: the trailer check says so
      damaged++;
      const w = r.warnings[0];
      if (zlibMessage === "unexpected end of file") {
        // The change made the stream run on through the trailer to the end of the file: a cut.
        const all = zlibPrefix(bad.subarray(BODY))!;
        expect(same(r.out, all), `byte ${at}`).toBe(true);
        expect(r.warnings).toEqual([
          {
            offset: bad.length,
            message: `gzip: the compressed data ends inside a member (the file is cut short); kept the ${all.length} bytes decompressed`,
          },
        ]);
        continue;
      }
      if (r.error) {
        // Damage before the first decoded byte: an error, located where zlib decodes nothing from.
        expect(zlibPrefix(badBody.subarray(0, r.error.offset! - BODY))!.length).toBe(0);
        expect(r.error.detail).toBe(`gzip: ${zlibMessage}`);
        continue;
      }
      expect(w, `byte ${at}`).toBeDefined();
      const stop = w!.offset - BODY;
      // Everything zlib decodes from the bytes before the damaged one is kept...
      const before = zlibPrefix(badBody.subarray(0, stop))!;
      expect(same(r.out.subarray(0, before.length), before), `byte ${at}`).toBe(true);
      // ...plus exactly what it decodes with the damaged byte, when that byte alone is not refused.
      const withIt = zlibPrefix(badBody.subarray(0, stop + 1));
      if (withIt !== null) expect(same(r.out, withIt), `byte ${at}`).toBe(true);
      // zlib refuses within the next bytes, with the same words.
      expect(zlibPrefix(badBody.subarray(0, stop + 8)), `byte ${at}`).toBeNull();
      expect(w!.message, `byte ${at}`).toBe(
        `gzip: ${zlibMessage}; kept the ${r.out.length} bytes decompressed before it, the rest of this member is lost`,
      );
      expect(r.warnings[1]).toEqual({
        offset: w!.offset,
        message: `gzip: no gzip member after the damage; ${gz.length - w!.offset} compressed bytes unread`,
      });
    }
    expect(damaged).toBeGreaterThan(40);
  });

  it("damage in one member: reading resumes at the next member, which is read whole", async () => {
    const second = pattern(30_000, 3);
    const bad = bytes(gz, gzipSync(second));
    // The first change of a byte in the data that zlib refuses as invalid (not as a cut).
    let at = BODY + 40;
    for (; ; at++) {
      bad[at]! ^= 0x5a;
      if (zlibError(bad.subarray(BODY, gz.length - 8))?.startsWith("invalid")) break;
      bad[at]! ^= 0x5a;
    }
    const r = await gunzipAll(bad, [512]);
    const w = r.warnings;
    expect(w.map((x) => x.message)).toEqual([
      expect.stringMatching(
        /^gzip: invalid .*; kept the \d+ bytes decompressed before it, the rest of this member is lost$/,
      ),
      `gzip: a new member starts here; reading resumes (${gz.length - w[0]!.offset} compressed bytes skipped)`,
    ]);
    expect(w[1]!.offset).toBe(gz.length);
    // What the bytes before the changed one decode to is kept (after it, the data may already be wrong).
    const before = zlibPrefix(body.subarray(0, at - BODY))!;
    expect(same(r.out.subarray(0, before.length), before)).toBe(true);
    expect(same(r.out.subarray(r.out.length - second.length), second)).toBe(true);
  });

  it("damage that still decodes (to other data) and ends early: the CRC says so, and the next member is still found", async () => {
    const second = pattern(30_000, 3);
    const bad = bytes(gz, gzipSync(second));
    // A change zlib does not refuse: the member ends, but early, so its "trailer" is not one.
    const streamEnd = (b: Uint8Array) => {
      try {
        return (
          BODY +
          (inflateRawSync(b.subarray(BODY), { info: true }) as unknown as { engine: { bytesWritten: number } }).engine
            .bytesWritten
        );
      } catch {
        return -1;
      }
    };
    let at = BODY + 40;
    for (; ; at++) {
      bad[at]! ^= 0x5a;
      const ends = streamEnd(bad);
      if (ends > 0 && ends < gz.length - 8) break;
      bad[at]! ^= 0x5a;
    }
    const r = await gunzipAll(bad, [512]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^gzip: the member's CRC-32 0x[0-9a-f]{8} does not match its data/),
      expect.stringMatching(/^gzip: a new member starts here; reading resumes \(\d+ compressed bytes skipped\)$/),
    ]);
    expect(r.warnings[1]!.offset).toBe(gz.length);
    expect(same(r.out.subarray(r.out.length - second.length), second)).toBe(true);
  });

  it("the classic messages: invalid block type, invalid stored block lengths, distance too far back", async () => {
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(0x07), "invalid block type"], // BFINAL=1, BTYPE=11
      [Uint8Array.of(0x01, 0x05, 0x00, 0x05, 0x00, 1, 2, 3, 4, 5), "invalid stored block lengths"],
      [deflateRawSync(pattern(10)).slice(), ""],
    ];
    for (const [raw, message] of cases.slice(0, 2)) {
      const r = await gunzipAll(bytes(gzipSync(new Uint8Array(0)).subarray(0, 10), raw, new Uint8Array(8)));
      expect(r.error?.detail).toBe(`gzip: ${message}`);
      expect(zlibError(raw)).toBe(message);
    }
    // A fixed-Huffman block whose first symbol is a match: nothing to copy from yet.
    const far = Uint8Array.of(0x03, 0x02, 0x00); // BFINAL, fixed; length 3 (code 257), distance 1
    expect(zlibError(far)).toBe("invalid distance too far back");
    const r = await gunzipAll(bytes(gzipSync(new Uint8Array(0)).subarray(0, 10), far, new Uint8Array(8)));
    expect(r.error?.detail).toBe("gzip: invalid distance too far back");
  });
});
