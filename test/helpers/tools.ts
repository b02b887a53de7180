/**
 * Tests that need an outside tool (tshark, tcpdump, editcap, chromium, ...) or root say so here,
 * and never skip in silence:
 *
 *   const oracle = requireTools(["tshark"]);
 *   oracle.describe("bytes in flight equal tshark's", () => { ... });
 *   oracle.it("one test", async () => { ... }, 60_000);
 *
 * All there: plain describe/it. Something missing: the block's body is not run (it may call the tool
 * while collecting tests) and in its place stands one test named after what is missing, which
 * - locally is skipped, with a warning naming the tool(s) on stderr;
 * - under CI (env CI set, as .ci/run does) fails: an independent oracle that did not run is a
 *   failure there, not a pass.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { type TestOptions, describe as vDescribe, it as vIt } from "vitest";

/** CI=1 (or any value but "" / "0" / "false"): missing tools fail instead of skipping. */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** Whether an executable of this name is on the PATH (no shell, no process started). */
export function onPath(tool: string, path = process.env.PATH ?? ""): boolean {
  return path.split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

type Body = () => void | Promise<void>;
type SuiteArgs = [name: string, body: () => void] | [name: string, options: TestOptions, body: () => void];
type TestArgs = [name: string, body: Body, timeout?: number];

export interface Guard {
  /** What is missing (empty when the tests can run). */
  readonly missing: readonly string[];
  /** The reason given when something is missing, e.g. "needs tshark (not found on PATH)". */
  readonly reason: string;
  describe(...args: SuiteArgs): void;
  it(...args: TestArgs): void;
}

/** Stand-in for a block that cannot run: skipped with the reason, or failing under CI. */
function standIn(name: string, reason: string, ci: boolean): void {
  if (ci) {
    vIt(`${name}: ${reason}`, () => {
      throw new Error(`${reason}; CI must provide it (.ci/run installs the test tools)`);
    });
  } else {
    console.warn(`skipped "${name}": ${reason}`);
    vIt.skip(`${name} (skipped: ${reason})`, () => {});
  }
}

/** A guard from a condition found some other way (root, a browser under another name). */
export function requireThat(missing: readonly string[], reason: string, ci = underCi()): Guard {
  const ok = missing.length === 0;
  return {
    missing,
    reason: ok ? "" : reason,
    describe(...args: SuiteArgs) {
      const [name] = args;
      if (ok) {
        if (args.length === 3) vDescribe(name, args[1], args[2]);
        else vDescribe(name, args[1]);
      } else vDescribe(name, () => standIn(name, reason, ci));
    },
    it(name: string, body: Body, timeout?: number) {
      if (ok) vIt(name, body, timeout);
      else standIn(name, reason, ci);
    },
  };
}

/**
 * Tests that need these executables on the PATH. The pseudo-tool "root" stands for running as root
 * (network namespaces, nftables, capturing).
 */
export function requireTools(tools: readonly string[], ci = underCi()): Guard {
  const missing = tools.filter((t) => (t === "root" ? process.getuid?.() !== 0 : !onPath(t)));
  const parts = [
    ...(missing.includes("root") ? ["root (network namespaces, nftables, captures)"] : []),
    ...(missing.some((t) => t !== "root")
      ? [`${missing.filter((t) => t !== "root").join(", ")} (not found on PATH)`]
      : []),
  ];
  return requireThat(missing, `needs ${parts.join(" and ")}`, ci);
}

/** What test/lab/scenario.sh needs: root and the tools it runs (see test/lab/README.md). */
export const LAB_TOOLS = ["root", "ip", "nft", "ethtool", "tcpdump", "tshark", "capinfos", "jq", "python3"];
