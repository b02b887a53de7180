/** The built command as a user runs it: exit codes, stdout/stderr, colour rules, bad input. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/bin.js";

const CAP = (name: string) => join(ROOT, "captures", name);
const tmp = mkdtempSync(join(tmpdir(), "wscale-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function wscale(args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  delete env.FORCE_COLOR;
  if (!opts.env || !("NO_COLOR" in opts.env)) delete env.NO_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { input: opts.input, env, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("wscale analyze", () => {
  it("prints the handshake's options per connection as JSON that validates against the shipped schema", () => {
    const r = wscale(["analyze", CAP("healthy.client.pcap"), "--format", "json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    const validate = new Ajv2020({ allErrors: true }).compile(
      JSON.parse(readFileSync(join(ROOT, "schema/report.schema.json"), "utf8")),
    );
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.connections[0].client.syn.options).toEqual(["mss", "sackOK", "TS", "nop", "wscale"]);
    expect(report.connections[0].client.wscaleOffered).toBe(10);
  });

  // One run per capture (about 30): minutes on a busy 2-core machine.
  it("every capture in captures/ gives schema-valid JSON", { timeout: 180_000 }, () => {
    const validate = new Ajv2020({ allErrors: true }).compile(
      JSON.parse(readFileSync(join(ROOT, "schema/report.schema.json"), "utf8")),
    );
    const files = (JSON.parse(readFileSync(CAP("manifest.json"), "utf8")).files as { file: string }[]).map((f) =>
      CAP(f.file),
    );
    const r = wscale(["analyze", ...files.slice(0, 1), "--format", "json", "--fail-on", "never"]);
    expect(r.code).toBe(0);
    for (const f of files) {
      const one = wscale(["analyze", f, "--format", "json", "--fail-on", "never"]);
      expect(one.code, f).toBe(0);
      expect(validate(JSON.parse(one.stdout)), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it("exit 1 on an error finding (the seed case), 0 with --fail-on never; the table names the verdict", () => {
    const r = wscale(["analyze", CAP("rewrite-syn-0.client.pcap")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("scale-rewritten");
    // The first two fixes in the table; the route workaround with --all-fixes.
    expect(r.stdout).toContain("fix 2 (sysctl): wscale sysctl --target-wscale 0 --dst 198.18.2.2");
    expect(r.stdout).not.toContain("ip route replace");
    const all = wscale(["analyze", CAP("rewrite-syn-0.client.pcap"), "--all-fixes"]);
    expect(all.stdout).toContain("ip route replace 198.18.2.2/32 $r window 65535");
    expect(wscale(["analyze", CAP("rewrite-syn-0.client.pcap"), "--fail-on", "never"]).code).toBe(0);
    expect(wscale(["analyze", CAP("strip-syn.client.pcap")]).code).toBe(0); // warn < error
    expect(wscale(["analyze", CAP("strip-syn.client.pcap"), "--fail-on", "warn"]).code).toBe(1);
  });

  it("no colour when stdout is not a terminal, with NO_COLOR, or with --no-color", () => {
    for (const env of [{}, { NO_COLOR: "1" }] as Record<string, string>[]) {
      const r = wscale(["analyze", CAP("rewrite-syn-0.client.pcap")], { env });
      expect(r.stdout.includes("\u001b[")).toBe(false);
    }
    expect(wscale(["analyze", CAP("rewrite-syn-0.client.pcap"), "--no-color"]).stdout.includes("\u001b[")).toBe(false);
  });

  it("reads stdin for '-', gzip included, and several files merged by time", () => {
    const gz = readFileSync(CAP("healthy.client.pcap.gz"));
    const r = wscale(["analyze", "-", "--format", "json"], { input: gz });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).inputs[0]).toMatchObject({ path: "-", format: "pcap", gzip: true, packets: 1397 });
    const both = wscale(["analyze", CAP("strip-syn.client.pcap"), CAP("healthy.client.pcap"), "--format", "json"]);
    const report = JSON.parse(both.stdout);
    expect(report.inputs.map((i: { packets: number }) => i.packets)).toEqual([
      JSON.parse(wscale(["analyze", CAP("strip-syn.client.pcap"), "--format", "json"]).stdout).inputs[0].packets,
      1397,
    ]);
    expect(report.connections).toHaveLength(2);
  });

  it("writes -o atomically and prints nothing on stdout then", () => {
    const out = join(tmp, "r.json");
    const r = wscale(["analyze", CAP("healthy.server.pcap"), "--format", "json", "-o", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(JSON.parse(readFileSync(out, "utf8")).schemaVersion).toBe(1);
  });
});

describe("bad input: one line naming the file and the byte offset, exit 2, no stack trace", () => {
  const cases: [string, Buffer | string, RegExp][] = [
    ["empty.pcap", Buffer.alloc(0), /^wscale: .*empty\.pcap: byte 0: empty input\n$/],
    [
      "junk.bin",
      Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]),
      /^wscale: .*junk\.bin: byte 0: not a capture: unknown format \(first bytes de ad be ef 00 01 02 03\)\n$/,
    ],
    ["short.pcap", Buffer.from("d4c3b2a1020004", "hex"), /^wscale: .*short\.pcap: byte 0: /],
    [
      "notes.txt",
      "just some notes\nnothing here\n",
      /^wscale: .*notes\.txt: byte 0: not a capture: no line reads as a packet printed by tcpdump -n \(IP, IPv6, ARP, ...\)\n$/,
    ],
  ];
  for (const [name, bytes, pattern] of cases) {
    it(name, () => {
      const path = join(tmp, name);
      writeFileSync(path, bytes);
      const r = wscale(["analyze", path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stdout).toBe("");
    });
  }

  it("a missing file and a directory", () => {
    expect(wscale(["analyze", join(tmp, "nope.pcap")]).stderr).toBe(
      `wscale: ${join(tmp, "nope.pcap")}: no such file\n`,
    );
    expect(wscale(["analyze", tmp]).stderr).toBe(`wscale: ${tmp}: is a directory\n`);
  });

  it("a capture damaged in the middle: everything readable is reported, with a warning naming the offset", () => {
    const bytes = Buffer.from(readFileSync(CAP("rewrite-syn-0.client.pcap")));
    // Record 100's caplen field becomes impossible.
    let off = 24;
    for (let i = 1; i < 100; i++) off += 16 + bytes.readUInt32LE(off + 8);
    bytes.writeUInt32LE(0x7fff0000, off + 8);
    const path = join(tmp, "damaged.pcap");
    writeFileSync(path, bytes);
    const r = wscale(["analyze", path, "--format", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.inputs[0].packets).toBe(525);
    expect(report.inputs[0].warnings[0]).toEqual({
      offset: off,
      message:
        "record 100: captured length 2147418112 exceeds 262144, the most any capture holds; looking for the next valid record",
    });
    expect(report.findings.map((f: { id: string }) => f.id)).toContain("scale-rewritten");
    expect(r.stderr).toContain(`damaged.pcap: byte ${off}: record 100`);
  });

  it("--version is this package's, wherever it is run from (the bundle has no node_modules path to search from)", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const r = spawnSync(process.execPath, [BIN, "--version"], { cwd: tmpdir(), encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("unknown flags and commands are usage errors", () => {
    expect(wscale(["analyze", CAP("healthy.client.pcap"), "--bogus"]).code).toBe(2);
    expect(wscale(["frobnicate"]).code).toBe(2);
    expect(wscale([]).code).toBe(2);
  });

  it("--help on every command, with examples", () => {
    for (const cmd of [[], ["analyze"], ["sysctl"]]) {
      const r = wscale([...cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Exit codes");
    }
    expect(wscale(["analyze", "--help"]).stdout).toContain("Examples:");
  });
});

describe("names from the command line and text from a capture are shown, never obeyed by the terminal", () => {
  // A file name that would clear the screen, turn the text red and forge a line of its own.
  const NAME = "\u001b[2J\u001b[31mnope\nFAKE: all good";
  const SHOWN = "\\x1b[2J\\x1b[31mnope\\nFAKE: all good";
  // healthy-n.txt with its SYN-ACK's window damaged: one warning, on line 3.
  const text = readFileSync(join(ROOT, "test/fixtures/text/healthy-n.txt"), "latin1").replace(
    "win 65160,",
    "win 65160x,",
  );
  const path = join(tmp, `${NAME}.txt`);
  writeFileSync(path, text, "latin1");
  const shownPath = `${tmp}/${SHOWN}.txt`;
  const raw = (out: string) => out.includes("\u001b") || out.includes("nope\nFAKE");

  it("stderr warnings and the table's input list", () => {
    const r = wscale(["analyze", path], { env: { COLUMNS: "200" } });
    expect(r.code).toBe(0);
    const line3 = text.indexOf(text.split("\n")[2]!);
    // The table on stdout shows the warning; it is not repeated on stderr.
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`${shownPath}: tcpdump-text, 40`);
    expect(r.stdout).toContain(`warning: byte ${line3}: line 3: bad window 'win 65160x'`);
    // Any other report: the warning on stderr.
    const json = wscale(["analyze", path, "--format", "json"]);
    expect(json.stderr).toBe(`wscale: warning: ${shownPath}: byte ${line3}: line 3: bad window 'win 65160x'\n`);
    expect(raw(r.stdout) || raw(r.stderr) || raw(json.stderr)).toBe(false);
  });

  it("the compare header", () => {
    const r = wscale(["compare", path, CAP("healthy.server.pcap")], { env: { COLUMNS: "200" } });
    expect(r.stdout).toContain(`Capture A (input 1): ${shownPath} (tcpdump-text, 40 packets, 39 TCP)`);
    expect(raw(r.stdout) || raw(r.stderr)).toBe(false);
  });

  it("Markdown and HTML", () => {
    const md = wscale(["analyze", path, "--format", "md"]);
    expect(md.stdout).toContain(`| \`${shownPath}\` | tcpdump-text |`);
    const html = wscale(["analyze", path, "--format", "html"]);
    expect(html.stdout).toContain(`<td class="addr">${shownPath}</td>`);
    expect(raw(md.stdout) || raw(html.stdout)).toBe(false);
  });

  it("an error naming the file", () => {
    const r = wscale(["analyze", `${path}.missing`]);
    expect(r.stderr).toBe(`wscale: ${shownPath}.missing: no such file\n`);
    expect(r.code).toBe(2);
  });
});

describe("tcpdump text that is not a capture", () => {
  it("an application log whose lines start with a date and time: one line, exit 2", () => {
    const path = join(tmp, "app.log");
    writeFileSync(
      path,
      "2024-05-01 12:00:00.123456 INFO server starting on port 8080\n2024-05-01 12:00:01.000001 WARN slow request\n",
    );
    const r = wscale(["analyze", path]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `wscale: ${path}: byte 0: not a capture: no line reads as a packet printed by tcpdump -n (IP, IPv6, ARP, ...)\n`,
    });
  });
});
