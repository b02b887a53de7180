/**
 * The annotated capture: `wscale analyze in.pcap --format pcapng -o out.pcapng` copies every
 * packet and comments the evidence, read back by tshark and capinfos (the oracle: Wireshark's own
 * reader). Inputs that cannot be read twice are refused before any analysis.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { enhancedPacket, sectionHeader } from "../src/report/pcapng-writer.js";
import { BIN, ROOT } from "./helpers/bin.js";

const CAP = (name: string) => join(ROOT, "captures", name);
const tmp = mkdtempSync(join(tmpdir(), "wscale-pcapng-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
/** In CI (CI=1) a missing oracle fails instead of skipping. */
const NO_TSHARK = !(has("tshark") && has("capinfos")) && process.env.CI !== "1";

function wscale(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [BIN, "analyze", ...args], { input, encoding: "buffer" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** tshark's fields, tab-separated, one line per packet. */
function tshark(file: string, args: string[]): string[] {
  const out = execFileSync("tshark", ["-r", file, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return out.trimEnd().split("\n").filter(Boolean);
}

describe.skipIf(NO_TSHARK)("the annotated capture, read back by tshark (skipped without tshark and capinfos)", () => {
  it("the seed case: a comment on exactly the evidence frames; every packet copied unchanged", () => {
    const out = join(tmp, "seed.pcapng");
    const r = wscale([CAP("rewrite-syn-0.client.pcap"), "--format", "pcapng", "-o", out]);
    expect(r.code, r.stderr).toBe(1); // an error finding, as with every format
    expect(r.stderr).toBe("");
    const commented = tshark(out, [
      "-Y",
      'frame.comment contains "wscale"',
      "-T",
      "fields",
      "-e",
      "frame.number",
      "-e",
      "frame.comment",
    ]);
    // Exactly the evidence of the JSON report of the same capture, frame by frame, in the model's order.
    const report = JSON.parse(wscale([CAP("rewrite-syn-0.client.pcap"), "--format", "json"]).stdout.toString());
    const byFrame = new Map<number, string[]>();
    for (const f of report.findings)
      for (const e of f.evidence)
        byFrame.set(e.frame, [
          ...(byFrame.get(e.frame) ?? []),
          `wscale ${f.id} (${f.severity}, ${f.confidence}) ${f.connection}: ${e.note}`,
        ]);
    expect(commented).toEqual(
      [...byFrame.entries()].sort((a, b) => a[0] - b[0]).map(([frame, notes]) => `${frame}\t${notes.join(",")}`),
    );
    // The seed's evidence starts at the SYN that offered shift 10.
    expect(commented[0]).toBe("1\twscale scale-rewritten (error, likely) c1: client offers wscale 10");
    // Same packets, same times, same bytes.
    const fields = [
      "-T",
      "fields",
      "-e",
      "frame.number",
      "-e",
      "frame.time_epoch",
      "-e",
      "frame.len",
      "-e",
      "frame.cap_len",
    ];
    expect(tshark(out, fields)).toEqual(tshark(CAP("rewrite-syn-0.client.pcap"), fields));
    expect(tshark(out, ["-x"])).toEqual(tshark(CAP("rewrite-syn-0.client.pcap"), ["-x"]));
  });

  it("the section comment holds the summary and how to filter", () => {
    const out = join(tmp, "seed2.pcapng");
    wscale([CAP("rewrite-syn-0.client.pcap"), "--format", "pcapng", "-o", out]);
    const info = execFileSync("capinfos", [out], { encoding: "utf8" });
    expect(info).toMatch(/File type: +Wireshark\/\.\.\. - pcapng/);
    expect(info).toMatch(/Number of packets: +526/);
    expect(info).toMatch(/Capture application: +wscale/);
    expect(info).toContain("1 connection, 1 finding (1 error). Verdicts: 1 scale-rewritten.");
    expect(info).toContain("c1 198.18.1.2:44620 -> 198.18.2.2:80: wscale scale-rewritten (error, likely)");
    expect(info).toContain('filter frame.comment contains "wscale"');
  });

  it("several inputs: merged by time, one interface each, evidence commented in the right input", () => {
    const a = CAP("ipv6-strip-syn.client.pcap");
    const b = CAP("zero-window.server.pcap");
    const out = join(tmp, "two.pcapng");
    const r = wscale([a, b, "--format", "pcapng", "-o", out, "--fail-on", "never"]);
    expect(r.code, r.stderr).toBe(0);
    const times = tshark(out, ["-T", "fields", "-e", "frame.time_epoch", "-e", "frame.interface_name"]);
    expect(times).toHaveLength(588 + 616);
    const t = times.map((l) => Number(l.split("\t")[0]));
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1]!);
    expect(new Set(times.map((l) => l.split("\t")[1]))).toEqual(new Set([a, b]));
    // The zero-window finding's evidence is frame 243 of the second input: the commented packet is that one.
    const [zw] = tshark(out, [
      "-Y",
      'frame.comment contains "zero-window"',
      "-T",
      "fields",
      "-e",
      "frame.time_epoch",
      "-e",
      "frame.comment",
    ]);
    expect(zw).toMatch(
      /\twscale zero-window \(warn, certain\) c\d+ \(input 2 frame 243\): first zero window from the client$/,
    );
    const original = tshark(b, ["-Y", "frame.number == 243", "-T", "fields", "-e", "frame.time_epoch"]);
    expect(zw!.split("\t")[0]).toBe(original[0]);
    expect(tshark(out, ["-Y", 'frame.comment contains "(input 1 frame 2)"'])).toHaveLength(1);
  });

  it("to a pipe: the same bytes on stdout", () => {
    const file = join(tmp, "seed3.pcapng");
    wscale([CAP("healthy.client.pcap"), "--format", "pcapng", "-o", file]);
    const piped = wscale([CAP("healthy.client.pcap"), "--format", "pcapng"]);
    expect(piped.code).toBe(0);
    expect(Buffer.compare(piped.stdout, readFileSync(file))).toBe(0);
  });
});

describe("inputs that cannot be read twice are refused before the analysis", () => {
  it("stdin", () => {
    const r = wscale(
      ["-", "--format", "pcapng", "-o", join(tmp, "x.pcapng")],
      readFileSync(CAP("healthy.client.pcap")),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "wscale: --format pcapng reads the capture a second time to copy its packets; stdin cannot be read twice: save it to a file first\n",
    );
  });

  it("a FIFO", () => {
    const fifo = join(tmp, "fifo");
    spawnSync("mkfifo", [fifo]);
    const r = wscale([fifo, "--format", "pcapng", "-o", join(tmp, "y.pcapng")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /is not a regular file \(a pipe or FIFO cannot be read twice\): save it to a file first\n$/,
    );
    expect(r.stderr.split("\n")).toHaveLength(2);
  });

  it("tcpdump text: there are no packets to copy", () => {
    const r = wscale([
      join(ROOT, "test/fixtures/text/healthy-n.txt"),
      "--format",
      "pcapng",
      "-o",
      join(tmp, "z.pcapng"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is tcpdump text, which has none: capture with tcpdump -w instead\n$/);
  });
});

describe("pcapng blocks", () => {
  it("a comment longer than an option holds is cut at a character boundary; blocks stay 4-byte aligned", () => {
    const long = "é".repeat(40_000); // 80,000 bytes of UTF-8
    const shb = sectionHeader([long], "wscale");
    expect(shb.length % 4).toBe(0);
    const v = new DataView(shb.buffer);
    expect(v.getUint32(4, true)).toBe(shb.length);
    expect(v.getUint32(shb.length - 4, true)).toBe(shb.length);
    const optLen = v.getUint16(26, true); // the first option (the comment) after 24 bytes of header
    expect(optLen).toBe(65534); // 32,767 whole characters
    const epb = enhancedPacket(0, 1_700_000_000, 123_456_789, Uint8Array.of(1, 2, 3), 60, ["wscale x"]);
    const e = new DataView(epb.buffer);
    expect(epb.length % 4).toBe(0);
    expect((BigInt(e.getUint32(12, true)) << 32n) | BigInt(e.getUint32(16, true))).toBe(1_700_000_000_123_456_789n);
    expect([e.getUint32(20, true), e.getUint32(24, true)]).toEqual([3, 60]);
  });
});
