/** `wscale analyze --format ...` as a user runs it: the built command, every format, -o, terminal widths. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/bin.js";
import { requireTools } from "./helpers/tools.js";

const CAP = (name: string) => join(ROOT, "captures", name);
const tmp = mkdtempSync(join(tmpdir(), "wscale-report-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is being stripped
const ANSI = /\u001b\[[0-9;]*m/g;
const MANIFEST = (JSON.parse(readFileSync(CAP("manifest.json"), "utf8")).files as { file: string }[]).map(
  (f) => f.file,
);
// The layouts at 80 columns: every small capture, and of the long transfers (gzip) the one with five connections.
const TABLE_CAPTURES = MANIFEST.filter((f) => !f.endsWith(".gz") || f === "iperf3-download-loss-1.client.pcap.gz");

function wscale(args: string[], env: Record<string, string> = {}) {
  const full: Record<string, string | undefined> = { ...process.env, ...env };
  delete full.FORCE_COLOR;
  if (!("NO_COLOR" in env)) delete full.NO_COLOR;
  if (!("COLUMNS" in env)) delete full.COLUMNS;
  const r = spawnSync(process.execPath, [BIN, ...args], { env: full, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Lines wider than `width`, leaving out advice commands (never wrapped: they are meant to be copied). */
function overlong(text: string, width: number): string[] {
  const out: string[] = [];
  let heredoc = false;
  for (const l of text.replace(ANSI, "").split("\n")) {
    if (heredoc) {
      if (l === "EOF") heredoc = false;
      continue;
    }
    if (/^ {2}fix \d+ \(\w+\):$/.test(l)) {
      heredoc = true;
      continue;
    }
    if (/^ {2}fix \d+ \((route|sysctl|os)\): /.test(l) || /^ {4}\S/.test(l)) continue;
    if (l.length > width) out.push(l);
  }
  return out;
}

/** Run under a pseudo-terminal of the given width (util-linux `script`). */
function inTerminal(cols: number, args: string[], env: Record<string, string> = {}): string {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const full: Record<string, string | undefined> = { ...process.env, ...env };
  delete full.FORCE_COLOR;
  delete full.COLUMNS;
  if (!("NO_COLOR" in env)) delete full.NO_COLOR;
  const r = spawnSync("script", ["-qec", `stty cols ${cols} rows 50; ${quoted}`, "/dev/null"], {
    env: full,
    encoding: "utf8",
    timeout: 60_000,
  });
  return r.stdout.replace(/\r\n/g, "\n");
}

describe("wscale analyze --format", () => {
  it("ndjson: a line per connection and finding, the report line last with the exit status the command returns", () => {
    const r = wscale(["analyze", CAP("rewrite-syn-0.client.pcap"), "--format", "ndjson"]);
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(["connection", "finding", "report"]);
    expect(lines[2]).toMatchObject({ exitStatus: 1, failOn: "error", summary: { connections: 1 } });
    const never = wscale(["analyze", CAP("rewrite-syn-0.client.pcap"), "--format", "ndjson", "--fail-on", "never"]);
    expect(never.code).toBe(0);
    expect(JSON.parse(never.stdout.trimEnd().split("\n").pop()!).exitStatus).toBe(0);
  });

  it("csv, md and html to a file with -o: nothing on stdout, nothing left behind but the file", () => {
    const dir = mkdtempSync(join(tmp, "o-"));
    for (const [format, file] of [
      ["csv", "r.csv"],
      ["md", "r.md"],
      ["html", "r.html"],
    ] as const) {
      const r = wscale(["analyze", CAP("zero-window.client.pcap"), "--format", format, "-o", join(dir, file)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("");
    }
    expect(readdirSync(dir).sort()).toEqual(["r.csv", "r.html", "r.md"]);
    expect(readFileSync(join(dir, "r.csv"), "utf8").split("\r\n")[0]).toMatch(/^id,client_ip,client_port,/);
    expect(readFileSync(join(dir, "r.md"), "utf8")).toMatch(/^# wscale report\n/);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    // --format html asks the analysis for a timeline: there is a chart, not the note.
    expect(html).toContain('class="series-window"');
    expect(html).toContain('class="marker marker-zero-window"');
    expect(html).not.toContain("No timeline was recorded");
  });

  it("rejects a --top that is not a whole number", () => {
    expect(wscale(["analyze", CAP("healthy.client.pcap"), "--top", "-1"]).code).toBe(2);
    expect(wscale(["analyze", CAP("healthy.client.pcap"), "--top", "x"]).code).toBe(2);
    expect(wscale(["analyze", CAP("healthy.client.pcap"), "--format", "pdf"]).code).toBe(2);
  });
});

describe("the terminal report at 80 columns", () => {
  it("COLUMNS=80: every capture's table and prose fit", { timeout: 60_000 }, () => {
    for (const f of TABLE_CAPTURES) {
      const r = wscale(["analyze", CAP(f), "--fail-on", "never"], { COLUMNS: "80" });
      expect(r.code, f).toBe(0);
      expect(overlong(r.stdout, 80), f).toEqual([]);
    }
  });

  requireTools(["script", "stty"]).it(
    "on a terminal: its width (process.stdout.columns) and colour; NO_COLOR turns colour off",
    () => {
      const at80 = inTerminal(80, ["analyze", CAP("ipv6-strip-syn.client.pcap")])!;
      expect(at80).toMatch(ANSI);
      expect(overlong(at80, 80)).toEqual([]);
      expect(at80).toContain("[2001:db8:1::2]:36146");
      const wide = inTerminal(200, ["analyze", CAP("ipv6-strip-syn.client.pcap")])!;
      // The verdict is never broken: two lines per connection at 80, one at 200, and prose uses the room.
      expect(at80.replace(ANSI, "")).toMatch(/^c1 +\[2001:db8:1::2\]:36146 +10→0 .* scale-stripped$/m);
      expect(at80.replace(ANSI, "")).toMatch(/^ +\[2001:db8:2::2\]:80 +none .* 20\.8 ms · 21\.3M \/ 25\.2M$/m);
      expect(wide.replace(ANSI, "")).toMatch(
        /^c1 +\[2001:db8:1::2\]:36146 +\[2001:db8:2::2\]:80 +10→0 \/ none .* scale-stripped$/m,
      );
      expect(
        Math.max(
          ...wide
            .replace(ANSI, "")
            .split("\n")
            .map((l) => l.length),
        ),
      ).toBeGreaterThan(80);
      const plain = inTerminal(80, ["analyze", CAP("rewrite-syn-0.client.pcap")], { NO_COLOR: "1" })!;
      expect(plain).not.toMatch(ANSI);
    },
  );
});
