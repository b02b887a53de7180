/**
 * Live mode's terminal output: every finding once, the final report naming it by id, the
 * terminal width honoured, the input named as the user knows it, help on every option, and the
 * tcpdump that `live -i` runs (snaplen, buffer, its dropped-by-kernel count).
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
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

describe("live -i with a stand-in tcpdump (a script on PATH: no root, no interface)", () => {
  const dir = mkdtempSync(join(tmpdir(), "wscale-fake-tcpdump-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Records its arguments, writes a capture, and on SIGINT prints its statistics and exits, as tcpdump does.
  writeFileSync(
    join(dir, "tcpdump"),
    `#!/bin/sh
printf '%s\\n' "$*" > "$ARGS_FILE"
trap 'printf "526 packets captured\\n526 packets received by filter\\n311 packets dropped by kernel\\n" >&2; exit 0' INT TERM
cat "$CAPTURE"
while :; do sleep 0.1; done
`,
  );
  chmodSync(join(dir, "tcpdump"), 0o755);

  async function run(format: string) {
    const argsFile = join(dir, `args-${format}`);
    const child = spawn(process.execPath, [BIN, "live", "-i", "fake0", "--format", format], {
      env: {
        ...process.env,
        PATH: `${dir}:${process.env.PATH}`,
        CAPTURE: join(ROOT, "captures/rewrite-syn-0.client.pcap"),
        ARGS_FILE: argsFile,
        NO_COLOR: "1",
        COLUMNS: "120",
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const end = Date.now() + 20_000;
    while (!existsSync(argsFile) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    // Longer than the few seconds tcpdump is given to exit: the wait for it starts at the stop, not at the start.
    await new Promise((r) => setTimeout(r, 3500));
    child.kill("SIGINT");
    return { code: await exited, stdout, stderr, args: readFileSync(argsFile, "utf8").trim() };
  }

  it("runs tcpdump -s 128 -B 8192 -U and reports its dropped-by-kernel count in the report", async () => {
    const r = await run("json");
    expect(r.args).toBe("-s 128 -B 8192 -U -w - -i fake0 tcp");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.inputs[0].packets).toBe(526);
    expect(report.inputs[0].warnings).toContainEqual({
      offset: -1,
      message:
        "tcpdump: 311 packets dropped by kernel: the capture misses them, so gaps in it are not loss on the network",
    });
    expect(r.stderr).toContain("wscale: warning: tcpdump: 311 packets dropped by kernel");
  });

  it("the table names the input after the tcpdump that was run, and the warning once", async () => {
    const r = await run("table");
    expect(r.stdout).toMatch(/^tcpdump -i fake0: pcap, Ethernet, 526 packets, 526 TCP$/m);
    expect(r.stdout.match(/warning: tcpdump: 311 packets dropped by kernel/g)).toHaveLength(1);
    expect(r.stderr).not.toContain("dropped");
  });
});
