import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Chalk, type ChalkInstance } from "chalk";

/** Colour only on a TTY, never with NO_COLOR (any value) or --no-color. */
export function colorFor(stream: NodeJS.WriteStream, noColorFlag: boolean): ChalkInstance {
  const off = noColorFlag || "NO_COLOR" in process.env || !stream.isTTY;
  return new Chalk({ level: off ? 0 : 1 });
}

/** A report: one string, or the pieces of a large one (text or bytes), possibly produced as they are written. */
export type ReportText = string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Write a report to stdout, or atomically to a file (temp file, then rename: never half a report). */
export async function emit(text: ReportText, outFile: string | undefined): Promise<void> {
  const pieces = typeof text === "string" ? [text] : text;
  if (outFile === undefined || outFile === "-") {
    await writeAll(process.stdout, pieces);
    return;
  }
  const tmp = join(dirname(outFile), `.${process.pid}-${Date.now()}.wscale.tmp`);
  try {
    const file = createWriteStream(tmp);
    await writeAll(file, pieces);
    await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await rename(tmp, outFile);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Write every piece, waiting for the stream to drain when it asks to; resolves once all is flushed. */
async function writeAll(
  stream: NodeJS.WritableStream,
  pieces: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
): Promise<void> {
  for await (const piece of pieces) {
    if (!stream.write(piece)) await new Promise((resolve) => stream.once("drain", resolve));
  }
  await new Promise<void>((resolve, reject) => stream.write("", (err) => (err ? reject(err) : resolve())));
}
