import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { InputError } from "./issue.js";
import { isPcapMagic, PcapReader } from "./pcap.js";
import { isPcapngMagic, PcapngReader } from "./pcapng.js";
import type { CaptureFormat, FrameReader } from "./reader.js";

/** Large reads: per-chunk costs vanish, and a reader holds at most one chunk plus one record. */
export const CHUNK_SIZE = 4 * 1024 * 1024;

export interface OpenedInput {
  /** As the user named it; "-" is stdin. */
  path: string;
  format: CaptureFormat;
  gzip: boolean;
  /** The (decompressed) bytes, starting at offset 0 of the capture. */
  chunks: AsyncIterator<Uint8Array>;
}

/**
 * Open a file or stdin and tell its format from its first bytes, never from its name. gzip is
 * unwrapped transparently. Throws InputError for what cannot be a capture at all.
 */
export async function openInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<OpenedInput> {
  let raw: NodeJS.ReadableStream;
  if (path === "-") raw = stdin;
  else {
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw new InputError(path, null, "is a directory");
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(path, null, describeFsError(e));
    }
    raw = createReadStream(path, { highWaterMark: CHUNK_SIZE });
  }
  let it = withErrorsAsInputErrors(path, raw[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>);
  let head = await readHead(it, 4);
  let gzip = false;
  if (head.bytes.length >= 2 && head.bytes[0] === 0x1f && head.bytes[1] === 0x8b) {
    gzip = true;
    const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
    Readable.from(replay(head.bytes, it, head.done)).pipe(gunzip);
    it = withErrorsAsInputErrors(path, gunzip[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>, "gzip: ");
    head = await readHead(it, 4);
  }
  const format = detectFormat(head.bytes);
  if (format === null) {
    if (head.bytes.length === 0) throw new InputError(path, 0, "empty input");
    throw new InputError(path, 0, `not a capture: unknown format (first bytes ${hexBytes(head.bytes)})`);
  }
  return { path, format, gzip, chunks: replay(head.bytes, it, head.done)[Symbol.asyncIterator]() };
}

export function detectFormat(b: Uint8Array): CaptureFormat | null {
  if (isPcapMagic(b)) return "pcap";
  if (isPcapngMagic(b)) return "pcapng";
  if (b.length >= 4 && looksLikeText(b)) return "tcpdump-text";
  return null;
}

export function newFrameReader(format: "pcap" | "pcapng"): FrameReader {
  return format === "pcap" ? new PcapReader() : new PcapngReader();
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 64);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c !== 9 && c !== 10 && c !== 13 && (c < 32 || c > 126)) return false;
  }
  return true;
}

interface Head {
  bytes: Uint8Array;
  done: boolean;
}

/** Read until at least `n` bytes (or the end): a pipe may deliver the magic number in pieces. */
async function readHead(it: AsyncIterator<Uint8Array>, n: number): Promise<Head> {
  const parts: Uint8Array[] = [];
  let total = 0;
  while (total < n) {
    const r = await it.next();
    if (r.done) return { bytes: Buffer.concat(parts), done: true };
    parts.push(r.value);
    total += r.value.length;
  }
  return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts), done: false };
}

async function* replay(head: Uint8Array, it: AsyncIterator<Uint8Array>, done: boolean): AsyncGenerator<Uint8Array> {
  if (head.length > 0) yield head;
  if (done) return;
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    yield r.value;
  }
}

function withErrorsAsInputErrors(path: string, it: AsyncIterator<Uint8Array>, prefix = ""): AsyncIterator<Uint8Array> {
  let offset = 0;
  return {
    async next() {
      try {
        const r = await it.next();
        if (!r.done) offset += r.value.length;
        return r;
      } catch (e) {
        throw new InputError(path, prefix ? null : offset, prefix + describeFsError(e));
      }
    },
  };
}

function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "Z_DATA_ERROR":
    case "Z_BUF_ERROR":
      return `corrupt compressed data (${err.message})`;
    default:
      return err.message ?? String(e);
  }
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join(" ");
}
