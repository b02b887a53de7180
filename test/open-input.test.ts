import { mkdir, mkdtemp, readdir, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../src/capture/issue.js";
import { newFrameReader, type OpenedInput, openInput } from "../src/capture/open.js";
import {
  bytes,
  epb,
  ethernet,
  idb,
  ipv4,
  linuxSynOptions,
  newTestFrame,
  pattern,
  pcapFile,
  SYN,
  shb,
  tcp,
  toHex,
} from "./helpers/capture-builder.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wscale-open-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: Uint8Array | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Everything `read` delivers, in reads of at most `size` bytes. */
async function drain(opened: OpenedInput, size = 64 * 1024): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(size);
  try {
    for (;;) {
      const n = await opened.read(buf, 0, size);
      if (n === 0) break;
      parts.push(buf.slice(0, n));
    }
  } finally {
    await opened.close();
  }
  return bytes(...parts);
}

async function rejection(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error("expected openInput to reject");
}

const packet = () => ethernet(ipv4(tcp({ flags: SYN, options: linuxSynOptions() })));
const PCAP = pcapFile({ endian: "le" }, [
  { sec: 1_700_000_000, frac: 1, data: packet() },
  { sec: 1_700_000_001, frac: 2, data: packet() },
]);
const PCAPNG = bytes(shb("be"), idb("be", { linkType: 1 }), epb("be", { timestamp: 5n, data: packet() }));
const TEXT = new TextEncoder().encode(
  "12:00:00.000001 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 64240, options [mss 1460,wscale 7], length 0\n",
);

describe("openInput: format by content, never by name", () => {
  const cases: [string, Uint8Array, string][] = [
    ["capture.txt", PCAP, "pcap"],
    ["capture.pcapng", PCAP, "pcap"],
    ["trace.pcap", PCAPNG, "pcapng"],
    ["noext", PCAPNG, "pcapng"],
    ["dump.pcapng", TEXT, "tcpdump-text"],
    ["looks-gzipped.gz", TEXT, "tcpdump-text"],
  ];
  for (const [name, content, format] of cases) {
    it(`${name} holding ${format}`, async () => {
      const path = await file(name, content);
      const opened = await openInput(path);
      expect([opened.path, opened.format, opened.gzip]).toEqual([path, format, false]);
      expect(toHex(await drain(opened))).toBe(toHex(content));
    });
  }

  it("a big-endian ns pcap and a Kuznetzov pcap", async () => {
    for (const o of [{ endian: "be", resolution: "ns" }, { kuznetzov: true }] as const) {
      const content = pcapFile(o, [{ sec: 1, data: pattern(100) }]);
      const opened = await openInput(await file(`k-${o.endian ?? "le"}`, content));
      expect(opened.format).toBe("pcap");
      expect(toHex(await drain(opened))).toBe(toHex(content));
    }
  });
});

describe("openInput: gzip", () => {
  const cases: [string, Uint8Array, string][] = [
    ["a.pcap", PCAP, "pcap"],
    ["b.txt", PCAPNG, "pcapng"],
    ["c.pcapng", TEXT, "tcpdump-text"],
  ];
  for (const [name, content, format] of cases) {
    it(`gzip of ${format} named ${name}`, async () => {
      const path = await file(name, gzipSync(content));
      const opened = await openInput(path);
      expect([opened.format, opened.gzip]).toEqual([format, true]);
      expect(toHex(await drain(opened, 7))).toBe(toHex(content));
    });
  }

  it("a gzipped capture of several megabytes decompresses to exactly the original bytes", async () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ sec: 1_700_000_000 + i, data: pattern(1000, i) }));
    const content = pcapFile({}, records);
    expect(content.length).toBeGreaterThan(3_000_000);
    const opened = await openInput(await file("big.pcap", gzipSync(content)));
    expect(opened.format).toBe("pcap");
    const got = await drain(opened, 1 << 20);
    expect(got.length).toBe(content.length);
    expect(Buffer.compare(got, content)).toBe(0);
  });

  it("a truncated gzip: every byte it still holds is delivered, and a warning names the compressed offset", async () => {
    // Incompressible payloads, so the cut lands well inside the decompressed stream.
    let x = 0x12345678;
    const noise = (n: number) =>
      Uint8Array.from({ length: n }, () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x & 0xff;
      });
    const content = pcapFile(
      {},
      Array.from({ length: 400 }, (_, i) => ({ sec: 1_700_000_000 + i, data: noise(1000) })),
    );
    const gz = gzipSync(content);
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    // What the cut .gz still holds: zlib's output when told not to insist on the end of the stream.
    const recoverable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH });
    expect(recoverable.length).toBeGreaterThan(100_000);
    expect(recoverable.length).toBeLessThan(content.length);

    const path = await file("cut.pcap.gz", cut);
    const opened = await openInput(path);
    expect([opened.format, opened.gzip]).toEqual(["pcap", true]);
    const got = await drain(opened);
    expect(Buffer.compare(got, recoverable)).toBe(0);
    // The end of the data is not the end of the input: the cut must not pass for a clean end.
    expect(opened.warnings).toEqual([
      {
        offset: cut.length,
        message: `gzip: the compressed data ends inside a member (the file is cut short); kept the ${got.length} bytes decompressed`,
      },
    ]);
  });

  it("gzip data corrupt from the start: InputError when opening", async () => {
    const gz = gzipSync(PCAP);
    const bad = bytes(gz.subarray(0, 10), new Uint8Array(40).fill(0xff));
    const path = await file("corrupt.gz", bad);
    const e = await rejection(openInput(path));
    expect(e.path).toBe(path);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
    expect(e.message).toContain("gzip");
  });

  it("gzip of an empty file: 'empty input'", async () => {
    const path = await file("empty.gz", gzipSync(new Uint8Array(0)));
    const e = await rejection(openInput(path));
    expect(e.message).toBe(`${path}: byte 0: empty input`);
  });
});

describe("openInput: what cannot be read", () => {
  it("a directory", async () => {
    const sub = join(dir, "a-directory.pcap");
    await mkdir(sub);
    const e = await rejection(openInput(sub));
    expect([e.path, e.offset, e.message]).toEqual([sub, null, `${sub}: is a directory`]);
  });

  it("a missing file", async () => {
    const path = join(dir, "does-not-exist.pcap");
    const e = await rejection(openInput(path));
    expect([e.path, e.offset, e.message]).toEqual([path, null, `${path}: no such file`]);
  });

  it("an empty file", async () => {
    const path = await file("empty.pcap", new Uint8Array(0));
    const e = await rejection(openInput(path));
    expect([e.path, e.offset, e.message]).toEqual([path, 0, `${path}: byte 0: empty input`]);
  });

  it("binary that is no capture names its first bytes", async () => {
    const path = await file("random.pcap", pattern(100));
    const e = await rejection(openInput(path));
    expect(e.message).toBe(`${path}: byte 0: not a capture: unknown format (first bytes 00 01 02 03 04 05 06 07)`);
  });

  it("a 1-byte and a 3-byte file", async () => {
    const one = await file("one", Uint8Array.of(0x1f));
    expect((await rejection(openInput(one))).message).toBe(
      `${one}: byte 0: not a capture: unknown format (first bytes 1f)`,
    );
    const three = await file("three", new TextEncoder().encode("abc"));
    expect((await rejection(openInput(three))).message).toContain(`${three}: byte 0: not a capture`);
  });

  it("failed opens do not leak file descriptors", async () => {
    const garbage = await file("leak.bin", pattern(64));
    const empty = await file("leak-empty.bin", new Uint8Array(0));
    const emptyGz = await file("leak-empty.gz", gzipSync(new Uint8Array(0)));
    for (const path of [garbage, empty, emptyGz]) {
      await rejection(openInput(path));
      // Checked at once, before a garbage collection could close a forgotten FileHandle.
      expect(await fdsOpenOn(path)).toBe(0);
    }
  });

  it("close() releases the file", async () => {
    const path = await file("close.pcap", PCAP);
    const opened = await openInput(path);
    expect(await fdsOpenOn(path)).toBe(1);
    await opened.close();
    expect(await fdsOpenOn(path)).toBe(0);
  });
});

describe("openInput: stdin", () => {
  it("'-' reads the given stream; a magic number split over 1-byte pieces is still recognised", async () => {
    const pieces = [...PCAP.subarray(0, 6)].map((b) => Buffer.of(b)).concat([Buffer.from(PCAP.subarray(6))]);
    const opened = await openInput("-", Readable.from(pieces));
    expect([opened.path, opened.format, opened.gzip]).toEqual(["-", "pcap", false]);
    expect(toHex(await drain(opened, 5))).toBe(toHex(PCAP));
  });

  it("gzip on stdin", async () => {
    const gz = gzipSync(PCAPNG);
    const opened = await openInput("-", Readable.from([Buffer.from(gz.subarray(0, 1)), Buffer.from(gz.subarray(1))]));
    expect([opened.format, opened.gzip]).toEqual(["pcapng", true]);
    expect(toHex(await drain(opened))).toBe(toHex(PCAPNG));
  });

  it("empty stdin", async () => {
    const e = await rejection(openInput("-", Readable.from([])));
    expect(e.message).toBe("-: byte 0: empty input");
  });
});

describe("openInput + reader", () => {
  it("frames read through an opened gzip file match the frames of the plain bytes", async () => {
    const opened = await openInput(await file("e2e.pcapng.gz", gzipSync(PCAPNG)));
    const reader = newFrameReader(opened.format === "pcapng" ? "pcapng" : "pcap");
    const frame = newTestFrame();
    const got: string[] = [];
    const buf = new Uint8Array(13);
    for (;;) {
      const n = await opened.read(buf, 0, buf.length);
      if (n === 0) break;
      reader.feed(buf.slice(0, n));
      while (reader.next(frame)) got.push(toHex(frame.data.subarray(frame.offset, frame.offset + frame.caplen)));
    }
    reader.finish();
    while (reader.next(frame)) got.push("late");
    await opened.close();
    expect(reader.error).toBeNull();
    expect(got).toEqual([toHex(packet())]);
  });
});

/** How many of this process's file descriptors are open on `path` (Linux /proc). */
async function fdsOpenOn(path: string): Promise<number> {
  let n = 0;
  for (const fd of await readdir("/proc/self/fd")) {
    try {
      if ((await readlink(`/proc/self/fd/${fd}`)) === path) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
