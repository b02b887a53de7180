import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Chalk, type ChalkInstance } from "chalk";

/** Colour only on a TTY, never with NO_COLOR (any value) or --no-color. */
export function colorFor(stream: NodeJS.WriteStream, noColorFlag: boolean): ChalkInstance {
  const off = noColorFlag || "NO_COLOR" in process.env || !stream.isTTY;
  return new Chalk({ level: off ? 0 : 1 });
}

/** Write a report to stdout, or atomically to a file (temp file, then rename: never half a report). */
export async function emit(text: string, outFile: string | undefined): Promise<void> {
  if (outFile === undefined || outFile === "-") {
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
    });
    return;
  }
  const tmp = join(dirname(outFile), `.${randomBytes(6).toString("hex")}.wscale.tmp`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, outFile);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
