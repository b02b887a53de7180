/**
 * Vitest global setup: every run gets its own temporary directory (TMPDIR, so os.tmpdir() and
 * mktemp in child processes use it), and whatever a test leaves in it fails the run, by name. A
 * test cleans up after itself; on this shared machine a leftover /tmp/wscale-* piles up otherwise.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): (() => void) | undefined {
  // With projects, Vitest calls this once per project in one process: one directory is enough.
  if (process.env.WSCALE_TEST_TMPDIR) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "wscale-test-run-"));
  process.env.WSCALE_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
  return () => {
    const left = readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      console.error(`tests left temporary files behind (a test must remove what it creates): ${left.join(", ")}`);
      process.exitCode = 1;
    }
  };
}
