/**
 * Several inputs on one command line: open each one, set aside the ones that cannot be read (the
 * others are still analysed; the command names them and exits 2), and read the first segments of
 * each once for same-traffic detection. The bytes read for that are kept and handed out again
 * when the input is analysed: stdin and FIFOs cannot be read twice. The look-ahead is bounded
 * (LOOKAHEAD_SEGMENTS segments or LOOKAHEAD_BYTES bytes per input, whichever comes first).
 */
import { statSync } from "node:fs";
import { InputError } from "../capture/issue.js";
import { type OpenedInput, openInput } from "../capture/open.js";
import { TcpSegment } from "../decode/segment.js";
import { createSource } from "./analyze.js";
import { type Probe, probeOf } from "./same-traffic.js";

export const LOOKAHEAD_SEGMENTS = 4096;
export const LOOKAHEAD_BYTES = 8 * 1024 * 1024;
const PEEK_READ = 256 * 1024;

export interface PeekedInput {
  /** Position among the readable inputs (the order given). */
  index: number;
  path: string;
  /** Reads the input from its first byte: the look-ahead's bytes again, then the rest (null: closed, open `path` again). */
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
  /** Segments to read ahead per input (default LOOKAHEAD_SEGMENTS); 1 only tells readable inputs from unreadable ones. */
  segments?: number;
}

/**
 * Open and peek into every input at once (a FIFO's writer must not block on a full pipe
 * meanwhile). With a small look-ahead, regular files are closed again at once (`opened` is
 * null: open the path again), so that many files do not hold many descriptors.
 */
export async function peekInputs(paths: string[], opts: PeekOptions = {}): Promise<PeekedInputs> {
  const limit = opts.segments ?? LOOKAHEAD_SEGMENTS;
  const results: (Omit<PeekedInput, "index"> | UnreadableInput)[] = new Array(paths.length);
  // At most this many open at once when they are closed again (many files, one report each).
  const parallel = limit < LOOKAHEAD_SEGMENTS ? 32 : paths.length;
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
        kept.push(data);
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
  const rereadable = isRegularFile(path);
  if (rereadable && limit < LOOKAHEAD_SEGMENTS) {
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
