/** What the CLI says on stderr about its inputs: one line each, file names and messages escaped. */
import type { CaptureIssue } from "../capture/issue.js";
import { escapeControl } from "../report/escape.js";

/** `wscale: warning: <path>: byte <offset>: <message>` for every warning of every input. */
export function printWarnings(inputs: readonly { path: string; warnings: readonly CaptureIssue[] }[]): void {
  for (const input of inputs) {
    for (const w of input.warnings) {
      process.stderr.write(
        `wscale: warning: ${escapeControl(input.path)}: byte ${w.offset}: ${escapeControl(w.message)}\n`,
      );
    }
  }
}
