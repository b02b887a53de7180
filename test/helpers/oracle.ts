import { spawnSync } from "node:child_process";

/**
 * Whether an independent tool (tcpdump, tshark, zcat, ...) is installed. Tests that use one are
 * `describe.skipIf(!oracle("x"))` with the tool named in their title; in CI (CI=1) a missing tool
 * is an error, so an oracle test never skips there.
 */
export function oracle(tool: string): boolean {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
  if (!found && process.env.CI) throw new Error(`${tool} is not installed; CI needs it for its oracle tests`);
  return found;
}
