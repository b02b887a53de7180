/**
 * A damaged .pcap.gz keeps its packets (issue 14). Each case is captures/healthy.client.pcap.gz
 * (a real kernel capture, gzipped) with one deterministic edit, read by the CLI and compared with
 * what zcat recovers from the same bytes: never less, and every packet before the damage.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, gzipSync, inflateRawSync } from "node:zlib";
import { afterAll, expect, it } from "vitest";
import { openInput } from "../src/capture/open.js";
import { PcapReader } from "../src/capture/pcap.js";
import { BIN, ROOT } from "./helpers/bin.js";
import { readChunks } from "./helpers/capture-builder.js";
import { requireTools } from "./helpers/tools.js";

const GZ = new Uint8Array(readFileSync(join(ROOT, "captures/healthy.client.pcap.gz")));
const PLAIN = new Uint8Array(readFileSync(join(ROOT, "captures/healthy.client.pcap")));
const tmp = mkdtempSync(join(tmpdir(), "wscale-gzip-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** End offsets of the records of the plain capture (a record is whole in a prefix reaching its end). */
const RECORD_ENDS = readChunks(new PcapReader(), PLAIN).frames.map((f) => f.fileOffset + 16 + f.caplen);
const recordsWithin = (n: number) => RECORD_ENDS.filter((end) => end <= n).length;

function write(name: string, content: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

function zcat(path: string): Uint8Array {
  return new Uint8Array(spawnSync("zcat", [path], { maxBuffer: 1 << 26 }).stdout);
}

/** All the bytes openInput delivers for `path`, and its gzip warnings. */
async function decompressed(path: string) {
  const opened = await openInput(path);
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(1 << 20);
  for (;;) {
    const n = await opened.read(buf, 0, buf.length);
    if (n === 0) break;
    parts.push(buf.slice(0, n));
  }
  await opened.close();
  return { bytes: new Uint8Array(Buffer.concat(parts)), warnings: opened.warnings };
}

function analyze(path: string) {
  const r = spawnSync(process.execPath, [BIN, "analyze", path, "--format", "json", "--fail-on", "never"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr, report: r.status === 0 ? JSON.parse(r.stdout) : null };
}

const commonPrefix = (a: Uint8Array, b: Uint8Array) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/** The gzip member of healthy.client.pcap.gz: a 10-byte header (gzip -n writes no name), deflate data, trailer. */
const BODY = 10;
const plainReport = analyze(join(ROOT, "captures/healthy.client.pcap")).report;

requireTools(["zcat"]).describe("damaged gzip captures against zcat", () => {
  it("the undamaged file: what zcat gives, the report of the plain capture, no warning", async () => {
    expect([GZ[3], GZ[0], GZ[1]]).toEqual([0, 0x1f, 0x8b]); // no optional header fields: the data starts at 10
    const path = write("whole.pcap.gz", GZ);
    const d = await decompressed(path);
    expect(Buffer.compare(d.bytes, zcat(path))).toBe(0);
    expect(Buffer.compare(d.bytes, PLAIN)).toBe(0);
    const r = analyze(path);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.report.connections).toEqual(plainReport.connections);
  });

  const whole: [string, () => Uint8Array, (p: string) => { offset: number; message: string }[]][] = [
    [
      "a wrong CRC-32 in the trailer",
      () => GZ.map((b, i) => (i === GZ.length - 8 ? b ^ 0x01 : b)),
      () => [
        { offset: GZ.length - 8, message: expect.stringMatching(/^gzip: the member's CRC-32 0x[0-9a-f]{8} does/) },
      ],
    ],
    [
      "a wrong length in the trailer",
      () => GZ.map((b, i) => (i === GZ.length - 1 ? b ^ 0x80 : b)),
      () => [{ offset: GZ.length - 4, message: expect.stringMatching(/^gzip: the member's length field \d+ does/) }],
    ],
    [
      "garbage after the stream",
      () => new Uint8Array(Buffer.concat([GZ, Buffer.from("GARBAGE\n")])),
      () => [
        {
          offset: GZ.length,
          message: "gzip: the 8 bytes after the end of the compressed data are not gzip data; ignored",
        },
      ],
    ],
    [
      "zero padding after the stream (accepted by gzip too)",
      () => new Uint8Array(Buffer.concat([GZ, new Uint8Array(512)])),
      () => [],
    ],
  ];
  for (const [name, edit, warnings] of whole) {
    it(`${name}: every packet, as zcat gives them all, and the warning on stderr`, async () => {
      const path = write(`${name.replaceAll(" ", "-")}.pcap.gz`, edit());
      const d = await decompressed(path);
      expect(Buffer.compare(d.bytes, PLAIN)).toBe(0);
      expect(Buffer.compare(zcat(path), PLAIN)).toBe(0);
      expect(d.warnings).toEqual(warnings(path));
      const r = analyze(path);
      expect(r.code).toBe(0);
      expect(r.report.inputs[0].packets).toBe(RECORD_ENDS.length);
      expect(r.report.connections).toEqual(plainReport.connections);
      expect(r.report.inputs[0].warnings).toEqual(warnings(path));
      expect(r.stderr).toBe(
        d.warnings.map((w) => `wscale: warning: ${path}: byte ${w.offset}: ${w.message}\n`).join(""),
      );
    });
  }

  it("a multi-member file (the capture split at a record and each half gzipped): no warning, every packet", async () => {
    const half = RECORD_ENDS[Math.floor(RECORD_ENDS.length / 2)]!;
    const path = write(
      "two-members.pcap.gz",
      Buffer.concat([gzipSync(PLAIN.subarray(0, half)), gzipSync(PLAIN.subarray(half))]),
    );
    const d = await decompressed(path);
    expect([Buffer.compare(d.bytes, PLAIN), Buffer.compare(zcat(path), PLAIN), d.warnings]).toEqual([0, 0, []]);
    const r = analyze(path);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.report.connections).toEqual(plainReport.connections);
  });

  // Changed bytes (xor 0xff) that deflate refuses, found once by trying each byte from 1/3, 1/2,
  // 5/6 and 9/10 of the file on (most changes decode to other data, caught only by the CRC-32).
  for (const [at, zlibSays] of [
    [8672, "invalid code lengths set"],
    [13585, "invalid block type"],
    [21805, "invalid stored block lengths"],
    [23850, "invalid distance code"],
  ] as const) {
    it(`byte ${at} changed (${zlibSays}): at least what zcat recovers, every packet before it, a warning naming the compressed byte`, async () => {
      const bad = GZ.slice();
      bad[at]! ^= 0xff;
      expect(() => inflateRawSync(bad.subarray(BODY))).toThrow(zlibSays);
      const path = write(`changed-${at}.pcap.gz`, bad);
      const z = zcat(path);
      const d = await decompressed(path);
      // zcat's output is a prefix of ours (both decode the same bits; zcat writes in 32 KiB pieces).
      expect(d.bytes.length).toBeGreaterThanOrEqual(z.length);
      expect(Buffer.compare(d.bytes.subarray(0, z.length), z)).toBe(0);
      // Everything the bytes before the changed one decode to is the original capture.
      const before = inflateRawSync(GZ.subarray(BODY, at), { finishFlush: constants.Z_SYNC_FLUSH });
      expect(commonPrefix(d.bytes, PLAIN)).toBeGreaterThanOrEqual(before.length);
      expect(d.warnings).toEqual([
        {
          offset: d.warnings[0]!.offset,
          message: `gzip: ${zlibSays}; kept the ${d.bytes.length} bytes decompressed before it, the rest of this member is lost`,
        },
        {
          offset: d.warnings[0]!.offset,
          message: `gzip: no gzip member after the damage; ${GZ.length - d.warnings[0]!.offset} compressed bytes unread`,
        },
      ]);
      // Found at the changed byte or a little after it (where the change makes a code invalid).
      expect(d.warnings[0]!.offset).toBeGreaterThanOrEqual(at - 2);
      const r = analyze(path);
      expect(r.code).toBe(0);
      const packets = r.report.inputs[0].packets;
      expect(packets).toBeGreaterThanOrEqual(recordsWithin(commonPrefix(d.bytes, PLAIN)));
      expect(packets).toBeGreaterThanOrEqual(recordsWithin(z.length));
      expect(r.report.inputs[0].warnings.slice(0, 2)).toEqual(d.warnings);
      expect(r.stderr.split("\n")[0]).toBe(
        `wscale: warning: ${path}: byte ${d.warnings[0]!.offset}: ${d.warnings[0]!.message}`,
      );
    });
  }

  it("a byte changed that still decodes (to other bytes): exactly zcat's bytes, and the CRC-32 says they are wrong", async () => {
    const bad = GZ.slice();
    const at = Math.floor(GZ.length / 3);
    bad[at]! ^= 0xff;
    expect(() => inflateRawSync(bad.subarray(BODY))).not.toThrow();
    const path = write("changed-valid.pcap.gz", bad);
    const d = await decompressed(path);
    expect(Buffer.compare(d.bytes, zcat(path))).toBe(0);
    expect(Buffer.compare(d.bytes, PLAIN)).not.toBe(0);
    expect(d.warnings).toEqual([
      {
        offset: GZ.length - 8,
        message: expect.stringMatching(/^gzip: the member's CRC-32 0x[0-9a-f]{8} does not match/),
      },
    ]);
  });

  it("the file cut two thirds of the way: every packet zcat recovers, the cut named at the end of the file", async () => {
    const cut = GZ.subarray(0, Math.floor((GZ.length * 2) / 3));
    const path = write("cut.pcap.gz", cut);
    const z = zcat(path);
    const d = await decompressed(path);
    expect(Buffer.compare(d.bytes, inflateRawSync(cut.subarray(BODY), { finishFlush: constants.Z_SYNC_FLUSH }))).toBe(
      0,
    );
    expect(Buffer.compare(d.bytes.subarray(0, z.length), z)).toBe(0);
    expect(Buffer.compare(d.bytes, PLAIN.subarray(0, d.bytes.length))).toBe(0);
    const r = analyze(path);
    expect(r.code).toBe(0);
    expect(r.report.inputs[0].packets).toBe(recordsWithin(d.bytes.length));
    const whole = recordsWithin(d.bytes.length);
    expect(r.report.inputs[0].warnings).toEqual([
      {
        offset: cut.length,
        message: `gzip: the compressed data ends inside a member (the file is cut short); kept the ${d.bytes.length} bytes decompressed`,
      },
      { offset: RECORD_ENDS[whole - 1], message: expect.stringContaining(`capture ends inside record ${whole + 1}`) },
    ]);
  });

  it("damage at the very start of the data: nothing to keep, one line naming the compressed byte, exit 2", () => {
    const bad = GZ.slice();
    bad[BODY] = 0xff; // BFINAL=1, BTYPE=11: an invalid block type
    const path = write("bad-start.pcap.gz", bad);
    const r = spawnSync(process.execPath, [BIN, "analyze", path], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`wscale: ${path}: byte ${BODY}: gzip: invalid block type\n`);
    expect(zcat(path).length).toBe(0);
  });
});
