import type { AnalysisReport } from "../analysis/analyze.js";

/** Strings are handed out in pieces of about this size. */
const PIECE = 1 << 20;

/**
 * The JSON document in pieces, one array element at a time, so that a report of 60,000
 * connections never exists as one string (that alone took more memory than the analysis). Each
 * connection, finding and input is one compact line: half the bytes of indented JSON, twice as
 * fast to write, and `grep c123` finds a connection whole.
 */
export function* renderJson(report: AnalysisReport): Generator<string> {
  const entries = Object.entries(report).filter(([, v]) => v !== undefined);
  let buf = "{\n";
  for (const [i, [key, value]] of entries.entries()) {
    const comma = i < entries.length - 1 ? "," : "";
    if (Array.isArray(value) && value.length > 0) {
      buf += `  ${JSON.stringify(key)}: [\n`;
      for (let j = 0; j < value.length; j++) {
        buf += `    ${JSON.stringify(value[j])}${j < value.length - 1 ? "," : ""}\n`;
        if (buf.length >= PIECE) {
          yield buf;
          buf = "";
        }
      }
      buf += `  ]${comma}\n`;
    } else {
      buf += `  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}\n`;
    }
  }
  yield `${buf}}\n`;
}
