import { Chalk, type ChalkInstance } from "chalk";

/** Colour only on a TTY, never with NO_COLOR (any value) or --no-color. */
export function colorFor(stream: NodeJS.WriteStream, noColorFlag: boolean): ChalkInstance {
  const off = noColorFlag || "NO_COLOR" in process.env || !stream.isTTY;
  return new Chalk({ level: off ? 0 : 1 });
}
