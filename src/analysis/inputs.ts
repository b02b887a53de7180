/**
 * Several inputs on one command line: open each one, set aside the ones that cannot be read (the
 * others are still analysed; the command names them and exits 2), and read the first segments of
 * each once for same-traffic detection. A regular file is closed again and read from its start
 * when it is analysed; the bytes read from a stream (stdin, a FIFO) are kept and handed out again,
 * as it cannot be read twice. The look-ahead is bounded: LOOKAHEAD_SEGMENTS segments or
 * LOOKAHEAD_BYTES bytes per input, whichever comes first, and fewer segments each when there are
 * many inputs.
 */
import { statSync } from "node:fs";
import { InputError } from "../capture/issue.js";
import { type OpenedInput, openInput } from "../capture/open.js";
import { TcpSegment } from "../decode/segment.js";
import { createSource } from "./analyze.js";
import { type Probe, probeOf } from "./same-traffic.js";

export const LOOKAHEAD_SEGMENTS = 4096;
export const LOOKAHEAD_BYTES = 8 * 1024 * 1024;
/** Segments looked at over all inputs, at most (many inputs get fewer each, down to MIN_LOOKAHEAD). */
const LOOKAHEAD_TOTAL = 8 * LOOKAHEAD_SEGMENTS;
const MIN_LOOKAHEAD = 256;
const PEEK_READ = 256 * 1024;
/** Inputs opened at once by the look-ahead. */
const PEEK_PARALLEL = 8;

export interface PeekedInput {
  /** Position among the readable inputs (the order given). */
  index: number;
  path: string;
  /** A stream: reads it from its first byte, the look-ahead's bytes again, then the rest. null: a file, closed (open `path` again). */
  opened: OpenedInput | null;
  /** A regular file: another thread can open it again by its path. */
  rereadable: boolean;
  probes: Probe[];
}

/** An input that could not be read at all: what SPEC's one line says (file, byte offset, cause). */
export interface UnreadableInput {
  path: string;
  offset: number | null;
  message: string;
}

/** "file: byte 0: empty input", as InputError says it. */
export function unreadableLine(u: UnreadableInput): string {
  return new InputError(u.path, u.offset, u.message).message;
}

export interface PeekedInputs {
  inputs: PeekedInput[];
  unreadable: UnreadableInput[];
}

export interface PeekOptions {
  stdin?: NodeJS.ReadableStream;
  /** Segments to read ahead per input (default: as many as detection wants); 1 only tells readable inputs from unreadable ones. */
  segments?: number;
}

/** Open and peek into the inputs, PEEK_PARALLEL at a time (streams side by side: a FIFO's writer must not block meanwhile). */
export async function peekInputs(paths: string[], opts: PeekOptions = {}): Promise<PeekedInputs> {
  const limit =
    opts.segments ?? Math.min(LOOKAHEAD_SEGMENTS, Math.max(MIN_LOOKAHEAD, Math.floor(LOOKAHEAD_TOTAL / paths.length)));
  const results: (Omit<PeekedInput, "index"> | UnreadableInput)[] = new Array(paths.length);
  const parallel = PEEK_PARALLEL;
  let next = 0;
  const lane = async () => {
    while (next < paths.length) {
      const i = next++;
      results[i] = await peek(paths[i]!, opts.stdin, limit).catch((e: unknown) => unreadable(e));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, paths.length) }, lane));
  const inputs: PeekedInput[] = [];
  const failed: UnreadableInput[] = [];
  for (const r of results) {
    if ("message" in r) failed.push(r);
    else inputs.push({ ...r, index: inputs.length });
  }
  return { inputs, unreadable: failed };
}

function unreadable(e: unknown): UnreadableInput {
  if (e instanceof InputError) return { path: e.path, offset: e.offset, message: e.detail };
  throw e;
}

async function peek(
  path: string,
  stdin: NodeJS.ReadableStream | undefined,
  limit: number,
): Promise<Omit<PeekedInput, "index">> {
  const rereadable = isRegularFile(path);
  const opened = await openInput(path, stdin);
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let readError: InputError | null = null;
  const source = createSource(opened.format);
  const seg = new TcpSegment();
  const probes: Probe[] = [];
  try {
    for (;;) {
      const chunk = new Uint8Array(PEEK_READ);
      let n = 0;
      try {
        n = await opened.read(chunk, 0, chunk.length);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        readError = e;
      }
      if (n > 0) {
        const data = chunk.subarray(0, n);
        if (!rereadable) kept.push(data);
        keptBytes += n;
        source.feed(data);
      } else {
        source.finish();
      }
      while (probes.length < limit && source.next(seg)) probes.push(probeOf(seg));
      if (n === 0 || source.error || probes.length >= limit || keptBytes >= LOOKAHEAD_BYTES) break;
    }
  } catch (e) {
    await opened.close();
    throw e;
  }
  // Nothing readable at all: what analyze() would refuse only after reading every other input.
  if (probes.length === 0 && (source.error || (readError && source.packets === 0))) {
    await opened.close();
    const err = source.error;
    if (err) throw new InputError(path, err.offset, err.message);
    throw readError!;
  }
  if (rereadable) {
    await opened.close();
    return { path, opened: null, rereadable, probes };
  }
  return { path, opened: replaying(opened, kept, readError), rereadable, probes };
}

/** The kept bytes first, then the rest of the input (or the read error the look-ahead met). */
function replaying(opened: OpenedInput, kept: Uint8Array[], error: InputError | null): OpenedInput {
  let next = 0;
  return {
    ...opened,
    read: async (buf, offset, length) => {
      while (next < kept.length) {
        const chunk = kept[next]!;
        if (chunk.length === 0) {
          next++;
          continue;
        }
        const n = Math.min(length, chunk.length);
        buf.set(chunk.subarray(0, n), offset);
        if (n === chunk.length) kept[next++] = new Uint8Array(0);
        else kept[next] = chunk.subarray(n);
        return n;
      }
      if (error) throw error;
      return opened.read(buf, offset, length);
    },
  };
}

function isRegularFile(path: string): boolean {
  if (path === "-") return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
