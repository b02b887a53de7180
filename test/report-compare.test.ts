/**
 * Compare's terminal report as an engineer reads it at 80 columns: the table fits, notes are
 * short, and the conclusion of two vantage points replaces the single-capture guesses it settles.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { renderCompare } from "../src/cli/commands/compare.js";
import { compareCaptures } from "../src/compare/compare.js";
import { BIN, ROOT } from "./helpers/bin.js";

const CAP = (name: string) => join(ROOT, "captures", name);
const plain = new Chalk({ level: 0 });
const compare = (a: string, b: string) => compareCaptures(CAP(a), CAP(b), { idleTimeout: 300 });
const PAIRS = [
  "rewrite-syn-0",
  "strip-syn",
  "strip-synack",
  "server-noscale",
  "ipv6-strip-syn",
  "healthy",
  "zero-above-2",
];

/** Lines wider than `width`, except advice commands (never wrapped: they are copied). */
const overlong = (text: string, width: number) =>
  text.split("\n").filter((l) => l.length > width && !/^ {2}fix \d+ \((route|sysctl|os)\): |^ {4}\S/.test(l));

describe("compare at 80 columns", () => {
  for (const p of PAIRS) {
    it(`${p}: every line fits, the verdict whole`, async () => {
      const r = await compare(`${p}.client.pcap`, `${p}.server.pcap`);
      const text = renderCompare(r, plain, 80);
      expect(overlong(text, 80)).toEqual([]);
      const ids = r.findings.filter((f) => f.input === undefined).map((f) => f.id);
      for (const id of ids) expect(text).toMatch(new RegExp(`^c1/c1 .*  ${id}$`, "m"));
      // Notes stay short: a sentence or two each.
      for (const n of r.matches.flatMap((m) => m.notes)) expect(n.length, n).toBeLessThanOrEqual(160);
    });
  }

  it("IPv6 endpoints in brackets, each on its line", async () => {
    const text = renderCompare(await compare("ipv6-strip-syn.client.pcap", "ipv6-strip-syn.server.pcap"), plain, 80);
    expect(text).toMatch(/^c1\/c1 +\[2001:db8:1::2\]:36146 +4-tuple +wscale 10 += {2,}path-cleared-option$/m);
    expect(text).toMatch(/^ +-> \[2001:db8:2::2\]:80 +-> NOPs$/m);
  });

  it("COLUMNS is honoured by the command", () => {
    const run = (cols: string) =>
      spawnSync(process.execPath, [BIN, "compare", CAP("strip-synack.client.pcap"), CAP("strip-synack.server.pcap")], {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", COLUMNS: cols },
      }).stdout;
    expect(overlong(run("80"), 80)).toEqual([]);
    expect(
      Math.max(
        ...run("160")
          .split("\n")
          .map((l) => l.length),
      ),
    ).toBeGreaterThan(80);
  });
});

describe("the conclusion replaces the guesses it settles", () => {
  it("the server declined: capture A's scale-stripped (possible) and its fixes are not repeated", async () => {
    const r = await compare("server-noscale.client.pcap", "server-noscale.server.pcap");
    const text = renderCompare(r, plain, 100);
    expect(text).toContain("The server declined scaling: the SYN reached it with wscale 10");
    expect(text).not.toMatch(/^\[warn\] scale-stripped/m);
    expect(text).toMatch(/^ {2}A c1 scale-stripped \(possible\): refuted: the server itself declined \(see Notes\)$/m);
    expect(text).not.toContain("fix 1");
    // What stands is said once: the server's own finding.
    expect(text.match(/^\[warn\] scale-declined \(certain\) on B c1$/gm)).toHaveLength(1);
  });

  it("a rewrite seen between the captures makes the single-capture guesses certain: named once each", async () => {
    const r = await compare("rewrite-syn-0.client.pcap", "rewrite-syn-0.server.pcap");
    const own = r.findings.filter((f) => f.input !== undefined && f.id === "scale-rewritten");
    expect(own.map((f) => f.settledBy)).toEqual(["path-rewrote-wscale", "path-rewrote-wscale"]);
    const text = renderCompare(r, plain, 100);
    expect(text).toMatch(
      /^ {2}A c1 scale-rewritten \(certain\): settled by path-rewrote-wscale above, which is certain$/m,
    );
    expect(text).not.toMatch(/^\[error\] scale-rewritten/m);
    expect(text.match(/^\[error\] path-rewrote-wscale/gm)).toHaveLength(1);
  });

  it("identical handshakes settle nothing: a box elsewhere is still possible", async () => {
    const r = await compare("healthy.client.pcap", "healthy.server.pcap");
    expect(r.findings.filter((f) => f.settledBy !== undefined)).toEqual([]);
  });

  it("a refuted guess does not fail the run", () => {
    const run = (failOn: string) =>
      spawnSync(
        process.execPath,
        [BIN, "compare", CAP("server-noscale.client.pcap"), CAP("server-noscale.server.pcap"), "--fail-on", failOn],
        { encoding: "utf8" },
      ).status;
    expect(run("warn")).toBe(1); // scale-declined (warn) stands
    expect(run("error")).toBe(0);
  });
});
