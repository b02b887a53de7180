import { read as fsRead } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { gunzip } from "./gzip.js";
import { type CaptureIssue, InputError } from "./issue.js";
import { isPcapMagic, PcapReader } from "./pcap.js";
import { isPcapngMagic, PcapngReader } from "./pcapng.js";
import type { CaptureFormat, FrameReader } from "./reader.js";

/**
 * Large reads: per-read costs vanish, and a reader holds at most one read plus one record. 1 MiB
 * reads as fast as 4 MiB (bulk, kernel-made) and keeps 6 MB less resident (bench/README.md).
 */
export const READ_SIZE = 1024 * 1024;

/** Fill buf[offset, offset+length) with the next bytes; resolves 0 at the end of input. */
export type ReadInto = (buf: Uint8Array, offset: number, length: number) => Promise<number>;

export interface OpenedInput {
  /** As the user named it; "-" is stdin. */
  path: string;
  format: CaptureFormat;
  gzip: boolean;
  /** The (decompressed) bytes from offset 0 of the capture. Errors are InputErrors. */
  read: ReadInto;
  /** Damage in the gzip layer, located to the compressed byte; filled while reading. */
  warnings: CaptureIssue[];
  close(): Promise<void>;
}

const HEAD = 16;

/**
 * Open a file or stdin and tell its format from its first bytes, never from its name; gzip is
 * unwrapped transparently. Regular files are read at explicit positions straight into the
 * reader's buffer (no intermediate chunks); stdin (file descriptor 0) and any path that cannot
 * seek (a FIFO, `<(...)`, /dev/stdin on a pipe) are read in order the same way. A stream given
 * instead of stdin (tcpdump started by live mode, tests) and decompressed data are copied once.
 * Throws InputError for what cannot be a capture at all.
 */
export async function openInput(path: string, stdin?: NodeJS.ReadableStream): Promise<OpenedInput> {
  if (path === "-") {
    let read: ReadInto;
    let close = async () => {};
    if (stdin === undefined) {
      // Not process.stdin: creating that stream would switch a pipe to non-blocking mode.
      read = fdReader(path, 0);
    } else {
      read = streamReader(path, stdin).read;
      // Done with the stream: release it, or an idle pipe keeps the process alive.
      close = async () => {
        (stdin as NodeJS.ReadableStream & { destroy?(): void }).destroy?.();
      };
    }
    const head = await readHead(read);
    if (isGzip(head)) return gunzipped(path, prepend(head, read), close);
    return { path, format: detectOrThrow(path, head), gzip: false, read: prepend(head, read), close, warnings: [] };
  }
  let fh: FileHandle | null = null;
  let seekable = false;
  try {
    fh = await open(path, "r");
    const stat = await fh.stat();
    if (stat.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    seekable = stat.isFile() || stat.isBlockDevice();
  } catch (e) {
    await fh?.close();
    throw new InputError(path, null, describeError(e));
  }
  const file = fh;
  const close = () => file.close();
  try {
    if (!seekable) {
      // A FIFO, <(...), /dev/stdin fed by a pipe, a terminal: read in order, like "-".
      const stream = fdReader(path, file.fd);
      const head = await readHead(stream);
      if (isGzip(head)) return await gunzipped(path, prepend(head, stream), close);
      return { path, format: detectOrThrow(path, head), gzip: false, read: prepend(head, stream), close, warnings: [] };
    }
    const head = await readHead(fileReader(path, file));
    if (isGzip(head)) return await gunzipped(path, fileReader(path, file), close);
    // A regular file is read at explicit positions straight into the reader's buffer.
    return { path, format: detectOrThrow(path, head), gzip: false, read: fileReader(path, file), close, warnings: [] };
  } catch (e) {
    await close();
    throw e;
  }
}

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function gunzipped(path: string, compressed: ReadInto, close: () => Promise<void>): Promise<OpenedInput> {
  const { read, warnings } = gunzip(path, compressed);
  const head = await readHead(read);
  return { path, format: detectOrThrow(path, head), gzip: true, read: prepend(head, read), close, warnings };
}

/** Reads a descriptor at its current position: stdin, a pipe, a FIFO, a redirected file. */
function fdReader(path: string, fd: number): ReadInto {
  let offset = 0;
  return async (buf, at, length) => {
    for (;;) {
      try {
        const n = await new Promise<number>((resolve, reject) => {
          fsRead(fd, buf, at, length, null, (err, bytes) => (err ? reject(err) : resolve(bytes)));
        });
        offset += n;
        return n;
      } catch (e) {
        // A descriptor someone else set non-blocking: wait for data instead of failing.
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") await new Promise((r) => setTimeout(r, 5));
        else throw new InputError(path, offset, describeError(e));
      }
    }
  };
}

function fileReader(path: string, fh: FileHandle): ReadInto {
  let position = 0;
  return async (buf, offset, length) => {
    try {
      const { bytesRead } = await fh.read(buf, offset, length, position);
      position += bytesRead;
      return bytesRead;
    } catch (e) {
      throw new InputError(path, position, describeError(e));
    }
  };
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

function detectOrThrow(path: string, head: Uint8Array): CaptureFormat {
  const format = detectFormat(head);
  if (format !== null) return format;
  if (head.length === 0) throw new InputError(path, 0, "empty input");
  throw new InputError(path, 0, `not a capture: unknown format (first bytes ${hexBytes(head)})`);
}

function looksLikeText(b: Uint8Array): boolean {
  for (const c of b.subarray(0, 64)) {
    if (c !== 9 && c !== 10 && c !== 13 && (c < 32 || c > 126)) return false;
  }
  return true;
}

/** Read until HEAD bytes (or the end): a pipe may deliver the magic number in pieces. */
async function readHead(read: ReadInto): Promise<Uint8Array> {
  const head = new Uint8Array(HEAD);
  let n = 0;
  while (n < HEAD) {
    const got = await read(head, n, HEAD - n);
    if (got === 0) break;
    n += got;
  }
  return head.subarray(0, n);
}

function prepend(first: Uint8Array, read: ReadInto): ReadInto {
  let pending: Uint8Array | null = first.length > 0 ? first : null;
  return async (buf, offset, length) => {
    if (pending === null) return read(buf, offset, length);
    const n = Math.min(length, pending.length);
    buf.set(pending.subarray(0, n), offset);
    pending = n < pending.length ? pending.subarray(n) : null;
    return n;
  };
}

/**
 * A ReadInto over a stream: resolves as soon as any bytes are there (live pipes must not wait for
 * a full buffer), and delivers every byte that arrived before an error before raising it.
 */
function streamReader(path: string, stream: NodeJS.ReadableStream) {
  const queue: Uint8Array[] = [];
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let offset = 0;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  stream.on("data", (chunk: Uint8Array) => {
    queue.push(chunk);
    if (queue.length > 64) stream.pause(); // bounded (a few MiB): the reader resumes it
    notify();
  });
  stream.on("end", () => {
    ended = true;
    notify();
  });
  stream.on("error", (e) => {
    failure = e;
    notify();
  });
  const read: ReadInto = async (buf, at, length) => {
    while (queue.length === 0) {
      if (failure !== null) throw new InputError(path, offset, describeError(failure));
      if (ended) return 0;
      stream.resume();
      await new Promise<void>((r) => {
        wake = r;
      });
    }
    // Everything already queued that fits: pipes deliver 64 KiB at a time, reads want megabytes.
    let n = 0;
    while (queue.length > 0 && n < length) {
      const chunk = queue[0]!;
      const take = Math.min(length - n, chunk.length);
      buf.set(chunk.subarray(0, take), at + n);
      if (take < chunk.length) queue[0] = chunk.subarray(take);
      else queue.shift();
      n += take;
    }
    if (queue.length <= 8) stream.resume();
    offset += n;
    return n;
  };
  return { read };
}

function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    default:
      return err.message ?? String(e);
  }
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join(" ");
}
