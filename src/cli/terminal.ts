import type { EventEmitter } from "node:events";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Chalk, type ChalkInstance } from "chalk";

/** Colour only on a TTY, never with NO_COLOR (any value) or --no-color. */
export function colorFor(stream: NodeJS.WriteStream, noColorFlag: boolean): ChalkInstance {
  const off = noColorFlag || "NO_COLOR" in process.env || !stream.isTTY;
  return new Chalk({ level: off ? 0 : 1 });
}

/** A report: one string, or the pieces of a large one (text or UTF-8 bytes). */
export type ReportText = string | Iterable<string | Uint8Array>;

/**
 * Where a report goes, written piece by piece as it is made: stdout, or a temporary file beside
 * the target that is renamed over it once complete (never half a report under the target's name).
 */
export interface ReportOutput {
  /**
   * Write these pieces; resolves when the output can take more (it waits for a slow reader).
   * `written` is called with each piece once the output no longer needs it.
   */
  write(pieces: Iterable<string | Uint8Array>, written?: (piece: Uint8Array) => void): Promise<void>;
  /** Everything is written: flush, and put the file in place. */
  close(): Promise<void>;
  /** Something failed: remove the temporary file. */
  abort(): Promise<void>;
}

export function openOutput(outFile: string | undefined): ReportOutput {
  if (outFile === undefined || outFile === "-") {
    return {
      write: (pieces, written) => writePieces(process.stdout, pieces, written),
      close: () => new Promise<void>((resolve, reject) => process.stdout.write("", (e) => (e ? reject(e) : resolve()))),
      abort: async () => {},
    };
  }
  const tmp = join(dirname(outFile), `.${process.pid}-${Date.now()}.wscale.tmp`);
  const file = createWriteStream(tmp);
  let failure: Error | null = null;
  file.on("error", (e) => {
    failure ??= e;
  });
  return {
    async write(pieces, written) {
      if (failure) throw failure;
      await writePieces(file, pieces, written);
    },
    async close() {
      if (failure) throw failure;
      await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await rename(tmp, outFile);
    },
    async abort() {
      file.destroy();
      await rm(tmp, { force: true });
    },
  };
}

/** Write a report to stdout, or atomically to a file (temp file, then rename: never half a report). */
export async function emit(text: ReportText, outFile: string | undefined): Promise<void> {
  const out = openOutput(outFile);
  try {
    await out.write(typeof text === "string" ? [text] : text);
    await out.close();
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** Write every piece, waiting for the stream to drain when it asks to (an error while waiting rejects). */
async function writePieces(
  stream: NodeJS.WritableStream,
  pieces: Iterable<string | Uint8Array>,
  written?: (piece: Uint8Array) => void,
): Promise<void> {
  let unconfirmed = 0;
  const done = (piece: Uint8Array) => () => {
    unconfirmed--;
    written!(piece);
  };
  for (const piece of pieces) {
    let more: boolean;
    if (written && typeof piece !== "string") {
      unconfirmed++;
      more = stream.write(piece, done(piece));
    } else more = stream.write(piece);
    if (!more) await once(stream as unknown as EventEmitter, "drain");
    // A synchronous stdout (a file, a pipe) confirms on the next tick: let it, so that the pieces
    // can be reused before more are made.
    else if (unconfirmed >= 2) await new Promise((resolve) => process.nextTick(resolve));
  }
  if (unconfirmed > 0) await new Promise((resolve) => process.nextTick(resolve));
}
