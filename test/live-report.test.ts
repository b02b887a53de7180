/**
 * Live mode's terminal output: every finding once, the final report naming it by id, the
 * terminal width honoured, the input named as the user knows it, help on every option, and the
 * tcpdump that `live -i` runs (snaplen, buffer, its dropped-by-kernel count).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { droppedByKernel, tcpdumpArgs } from "../src/cli/commands/live.js";
import { BIN, ROOT } from "./helpers/bin.js";

/** `wscale live -` on a whole capture given at once on stdin. */
function liveOn(capture: string, args: string[] = [], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, "live", "-", ...args], {
      env: { ...process.env, NO_COLOR: "1", ...env },
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.on("exit", (code) => resolve({ code, stdout }));
    child.stdin.end(readFileSync(join(ROOT, "captures", capture)));
  });
}

describe("wscale live: the terminal report", () => {
  it("each finding in full once; the final report names it by id, then the bottom line", async () => {
    const r = await liveOn("strip-synack.client.pcap", [], { COLUMNS: "100" });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const heads = lines.filter((l) => /^\[(warn|info|error)\] /.test(l));
    // Two findings, each printed once in full and once as a reference.
    expect(heads.filter((l) => !l.endsWith("(above)"))).toHaveLength(2);
    expect(heads.filter((l) => l.endsWith("(above)"))).toHaveLength(2);
    for (const h of heads.filter((l) => !l.endsWith("(above)"))) {
      const i = lines.indexOf(h);
      // The message follows the full header, and is not repeated.
      const message = lines[i + 1]!;
      expect(message).toMatch(/^ {2}\S/);
      expect(lines.filter((l) => l === message)).toHaveLength(1);
    }
    expect(
      r.stdout
        .trimEnd()
        .split("\n")
        .filter((l) => l.startsWith("Bottom line: ")),
    ).toHaveLength(1);
  });

  it("honours the terminal width: the handshake line wraps at 72 columns, the input is called stdin", async () => {
    const r = await liveOn("rewrite-syn-0.client.pcap", [], { COLUMNS: "72" });
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    expect(lines.filter((l) => l.length > 72 && !/^ {2}fix \d+ \((route|sysctl)\)|^ {4}\S/.test(l))).toEqual([]);
    const i = lines.findIndex((l) => l.startsWith("c1 198.18.1.2:44620 -> 198.18.2.2:80: client wscale 10,"));
    expect(lines[i + 1]).toMatch(/^ {4}\S/);
    expect(`${lines[i]} ${lines[i + 1]!.trim()}`).toContain(" server wscale 10; scaling on:");
    expect(r.stdout).toMatch(/^stdin: pcap, Ethernet, 526 packets, 526 TCP$/m);
    expect(r.stdout).not.toMatch(/^-: /m);
  });

  it("IPv6 endpoints in brackets", async () => {
    const r = await liveOn("ipv6-strip-syn.client.pcap", [], { COLUMNS: "200" });
    expect(r.stdout).toMatch(
      /^c1 \[2001:db8:1::2\]:36146 -> \[2001:db8:2::2\]:80: client wscale 10, server no wscale;/m,
    );
  });

  it("--help describes every option", () => {
    const help = spawnSync(process.execPath, [BIN, "live", "--help"], {
      encoding: "utf8",
      env: { ...process.env, COLUMNS: "200" },
    });
    const options = help.stdout.split("\n").filter((l) => /^ {2}(-\w, | {4})--[a-z-]+/.test(l));
    expect(options.map((l) => l.trim().split(/\s+/)[0])).toEqual(
      expect.arrayContaining(["-i,", "-f,", "-F,", "--fail-on", "--idle-timeout", "--color", "-v,", "-h,"]),
    );
    // Each has words after its name and type, not just "[choices: ...]".
    for (const l of options)
      expect(
        l
          .replace(/\[[^\]]*\]/g, "")
          .trim()
          .split(/\s{2,}/).length,
        l,
      ).toBeGreaterThan(1);
  });
});

describe("live -i: the tcpdump it runs", () => {
  it("takes 128 bytes per packet into an 8 MiB buffer, packet-buffered, tcp by default", () => {
    expect(tcpdumpArgs("eth0", undefined)).toEqual(["-s", "128", "-B", "8192", "-U", "-w", "-", "-i", "eth0", "tcp"]);
    expect(tcpdumpArgs("eth0", "port 80").at(-1)).toBe("port 80");
  });

  it("reads tcpdump's closing statistics for the dropped-by-kernel count", () => {
    const stats =
      "tcpdump: listening on c0, link-type EN10MB\n599 packets captured\n599 packets received by filter\n311 packets dropped by kernel\n";
    expect(droppedByKernel(stats)).toBe(311);
    expect(droppedByKernel("1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n")).toBe(0);
    expect(droppedByKernel("tcpdump: c0: No such device exists\n")).toBeNull();
  });
});
