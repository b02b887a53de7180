/**
 * The terminal table as an engineer reads it: one line per connection from 120 columns, two at
 * 80, the verdict whole, the window as the peer reads it, a file column with several inputs, the
 * bottom line last, two fixes unless --all-fixes, one rounding and plain plurals.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Chalk } from "chalk";
import { afterAll, describe, expect, it } from "vitest";
import { type AnalysisReport, analyze } from "../src/analysis/analyze.js";
import type { ConnectionSummary } from "../src/connections/summary.js";
import type { Finding } from "../src/findings/finding.js";
import { formatBits } from "../src/kernel/units.js";
import { renderTable } from "../src/report/table.js";
import { ceiling, ceilingShort, ms, rate, rateShort } from "../src/report/units.js";
import { BIN, ROOT } from "./helpers/bin.js";
import { endpoint } from "./helpers/report-model.js";

const CAP = (name: string) => join(ROOT, "captures", name);
const NO_COLOR = new Chalk({ level: 0 });

/** The seed capture's report, its path as typed in the repository. */
async function seed(): Promise<AnalysisReport> {
  const r = await analyze([CAP("rewrite-syn-0.client.pcap")], { idleTimeout: 300 });
  r.inputs[0]!.path = "captures/rewrite-syn-0.client.pcap";
  return r;
}

/** The seed report with Finding.readAs as scale-rewritten proves it: the server reads the client's windows with 0. */
async function seedReadAs(): Promise<AnalysisReport> {
  const r = await seed();
  const f = r.findings.find((x) => x.id === "scale-rewritten")!;
  // The lead's rule fills readAs in; until it does, the report model is given what the rule proves.
  f.readAs ??= [{ side: "client", applied: 10, readWith: 0 }];
  return r;
}

function connection(n: number, over: Partial<ConnectionSummary> = {}): ConnectionSummary {
  return {
    id: `c${n}`,
    handshake: "complete",
    scaling: "on",
    rolesGuessed: false,
    client: endpoint("198.18.1.2", 40000 + n),
    server: endpoint("198.19.2.2", 443),
    firstFrame: 1,
    startTime: 1_700_000_000,
    rttMs: 20,
    handshakeRttMs: 20,
    durationS: 0.1,
    throughputBps: 12345,
    ceilingBps: 3211264,
    bulkDirection: "server-to-client",
    capture: { quality: "good", uncapturedBytes: 0, uncapturedGaps: 0, outOfOrder: 0, duplicates: 0, timeReversed: 0 },
    ...over,
  };
}

function model(connections: ConnectionSummary[], findings: Finding[], packets = 12): AnalysisReport {
  return {
    schemaVersion: 1,
    inputs: [
      {
        path: "x.pcap",
        format: "pcap",
        gzip: false,
        linkTypes: [1],
        packets,
        tcpSegments: packets,
        skipped: {},
        warnings: [],
      },
    ],
    connections,
    findings,
  };
}

const lines = (text: string) => text.split("\n");
const rowsOf = (text: string) => lines(text).filter((l) => /^c\d+ /.test(l));

describe("the seed case (rewrite-syn-0, client side)", () => {
  it("at 120 columns: one line, and the client's 10 is read as 0 by the server", async () => {
    const text = renderTable(await seedReadAs(), { color: NO_COLOR, width: 120 });
    expect(lines(text).every((l) => l.length <= 120)).toBe(true);
    const rows = rowsOf(text);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      /^c1 +198\.18\.1\.2:44620 +198\.18\.2\.2:80 +10 · read as 0 \/ 10 +63 KiB ?\/ ?64 KiB +0 B ?\/ ?63 B +20\.9 ms +24\.1k \/ 24\.7M +scale-rewritten$/,
    );
    // The line after the table is the legend, not the server's half of the row.
    const i = lines(text).indexOf(rows[0]!);
    expect(lines(text)[i + 1]).toMatch(/^wscale: /);
    expect(text).toContain("read as N: its peer reads that side's windows with shift N");
  });

  it("at 80 columns: two lines, the client's values over the server's, the verdict whole", async () => {
    const text = renderTable(await seedReadAs(), { color: NO_COLOR, width: 80 });
    expect(lines(text).every((l) => l.length <= 80)).toBe(true);
    const i = lines(text).findIndex((l) => l.startsWith("c1 "));
    expect(lines(text)[i]).toMatch(/^c1 +198\.18\.1\.2:44620 +10 · read as 0 +63 KiB +0 B +scale-rewritten$/);
    expect(lines(text)[i + 1]).toMatch(/^ +198\.18\.2\.2:80 +10 +64 KiB +63 B +20\.9 ms · 24\.1k \/ 24\.7M$/);
  });

  it("without a finding that proves a mismatch, nothing is read as anything", async () => {
    const r = await seed();
    for (const f of r.findings) delete f.readAs;
    expect(renderTable(r, { color: NO_COLOR, width: 120 })).not.toContain("read as");
  });

  it("ends with the bottom line: what is wrong, how sure, the first fix", async () => {
    const r = await seedReadAs();
    const text = renderTable(r, { color: NO_COLOR, width: 120 }).trimEnd();
    const tail = lines(text).slice(-4);
    expect(tail[0]).toMatch(/^Bottom line: scale-rewritten \(error, likely\) on c1\. A box on the path rewrote/);
    const fix = r.findings[0]!.advice[0]!;
    expect(tail.join(" ")).toContain(`First fix (${fix.kind}, c1): ${fix.command.slice(0, 40)}`);
  });

  it("shows the first two fixes; --all-fixes shows every one", async () => {
    const r = await seedReadAs();
    const advice = r.findings[0]!.advice;
    expect(advice.length).toBeGreaterThan(2);
    const fixLines = (t: string) => lines(t).filter((l) => /^ {2}fix \d+ /.test(l));
    const short = renderTable(r, { color: NO_COLOR, width: 120 });
    expect(fixLines(short)).toHaveLength(2);
    expect(short).toContain(`  ${advice.length - 2} more fixes (`);
    expect(short).toContain("--all-fixes (-v)");
    const all = renderTable(r, { color: NO_COLOR, width: 120, allFixes: true });
    expect(fixLines(all)).toHaveLength(advice.length);
    expect(all).not.toContain("--all-fixes");
  });

  it("the table's rates are rounded as the finding's message rounds them", async () => {
    const r = await seed();
    const c = r.connections[0]!;
    expect(r.findings[0]!.message).toContain(rate(c.throughputBps));
    expect(rate(c.ceilingBps)).toBe("24.7 Mbit/s");
    expect(rateShort(c.ceilingBps)).toBe("24.7M");
  });
});

describe("several inputs", () => {
  it("an input column and an input label on every evidence frame", async () => {
    const r = await analyze([CAP("ipv6-strip-syn.client.pcap"), CAP("zero-window.server.pcap")], { idleTimeout: 300 });
    const text = renderTable(r, { color: NO_COLOR, width: 120 });
    expect(text).toMatch(/^#1 \S+ipv6-strip-syn\.client\.pcap: pcap, Ethernet, 588 packets, 585 TCP$/m);
    expect(text).toMatch(/^#2 \S+zero-window\.server\.pcap: pcap, Ethernet, 616 packets, 616 TCP$/m);
    const head = lines(text).find((l) => l.startsWith("in "));
    expect(head).toMatch(/^in +id +client/);
    const ipv6 = r.connections.find((c) => c.client.ip.includes(":"))!;
    const zero = r.connections.find((c) => !c.client.ip.includes(":"))!;
    expect(text).toMatch(new RegExp(`^#1 ${ipv6.id} +\\[2001:db8:1::2\\]:36146 `, "m"));
    expect(text).toMatch(new RegExp(`^#2 ${zero.id} +198\\.18\\.1\\.2:47636 `, "m"));
    // Each finding's evidence names the input its frames are in.
    expect(text).toMatch(/^ {4}#1 frame 2: client offers wscale 10$/m);
    expect(text).toMatch(/^ {4}#2 frame 243: /m);
    expect(text).not.toMatch(/^ {4}frame /m);
  });

  it("one input: no input column and no labels", async () => {
    const text = renderTable(await seed(), { color: NO_COLOR, width: 120 });
    expect(text).not.toMatch(/^in /m);
    expect(text).toMatch(/^ {4}frame 1: client offers wscale 10$/m);
  });
});

describe("units, plurals and what an input left out", () => {
  it("ceilings above a plausible link rate read `> 10 Gbit/s`; one the link nearly carried stays exact", () => {
    const loopback = connection(1, { rttMs: 0.01, throughputBps: 2e9 / 8, ceilingBps: 12165e9 / 8 });
    const fast = connection(2, { rttMs: 0.02, throughputBps: 22e9 / 8, ceilingBps: 32.9e9 / 8 });
    const text = renderTable(model([loopback, fast], []), { color: NO_COLOR, width: 120 });
    expect(text).toMatch(/^c1 .* 0\.01 ms +2G \/ > 10G +ok$/m);
    expect(text).toMatch(/^c2 .* 0\.02 ms +22G \/ 32\.9G +ok$/m);
    expect(ceiling(12165e9 / 8, 2e9 / 8)).toBe("> 10 Gbit/s");
    expect(ceilingShort(null, null)).toBe("?");
  });

  it("milliseconds only, three significant digits; rates as the findings print them", () => {
    expect([ms(0.0104), ms(0.5), ms(20.93), ms(123.4), ms(null)]).toEqual([
      "0.0104 ms",
      "0.5 ms",
      "20.9 ms",
      "123 ms",
      "?",
    ]);
    for (const bps of [3, 24.65e6 / 8, 24.649e6 / 8, 999.6e3 / 8, 1.25e9]) expect(rate(bps)).toBe(formatBits(bps * 8));
  });

  it("one packet, one finding, one connection: no plural s, no (s)", () => {
    const text = renderTable(model([connection(1)], [], 1), { color: NO_COLOR, width: 80 });
    expect(text).toContain("x.pcap: pcap, Ethernet, 1 packet, 1 TCP");
    expect(text).toContain("1 connection, 0 findings.");
    expect(text).not.toContain("(s)");
    expect(text.trimEnd().split("\n").at(-1)).toBe("Bottom line: no window-scaling problem found on 1 connection.");
  });

  it("packets that gave no TCP segment are named per input", async () => {
    const r = await analyze([CAP("ipv6-strip-syn.client.pcap")], { idleTimeout: 300 });
    expect(renderTable(r, { color: NO_COLOR, width: 80 })).toMatch(/^ {2}skipped \(no TCP segment\): 3 not TCP$/m);
  });

  it("the longest finding ids stay whole at 80 columns", () => {
    const long = "2001:db8:85a3:1234:5678:8a2e:370:7334";
    const conn = connection(1, { client: endpoint(long, 65535), server: endpoint("2001:db8:ffff::1", 443) });
    const f: Finding = {
      id: "wscale-on-synack-without-syn",
      severity: "warn",
      confidence: "certain",
      connection: "c1",
      message: "m",
      evidence: [],
      advice: [],
    };
    const text = renderTable(model([conn, connection(2)], [f]), { color: NO_COLOR, width: 80 });
    expect(lines(text).every((l) => l.length <= 80)).toBe(true);
    expect(text).toMatch(/^c1 .* wscale-on-synack-without-syn$/m);
  });
});

describe("wscale analyze: warnings once", () => {
  const tmp = mkdtempSync(join(tmpdir(), "wscale-table-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const bytes = Buffer.from(readFileSync(CAP("rewrite-syn-0.client.pcap")));
  let off = 24;
  for (let i = 1; i < 100; i++) off += 16 + bytes.readUInt32LE(off + 8);
  bytes.writeUInt32LE(0x7fff0000, off + 8);
  const damaged = join(tmp, "damaged.pcap");
  writeFileSync(damaged, bytes);
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, "analyze", damaged, ...args], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", COLUMNS: "120" },
    });

  it("the table on stdout shows the warning; stderr stays quiet", () => {
    const r = run([]);
    expect(r.status).toBe(1);
    expect(r.stdout.match(new RegExp(`warning: byte ${off}: record 100`, "g"))).toHaveLength(1);
    expect(r.stdout.match(/warning: /g)).toHaveLength(2); // the damage, and where reading resumed
    expect(r.stderr).toBe("");
  });

  it("a report written elsewhere (json, or -o) leaves the warning to stderr", () => {
    const r = run(["--format", "json"]);
    expect(r.stderr.match(/warning: /g)).toHaveLength(2);
    expect(r.stderr.match(new RegExp(`damaged.pcap: byte ${off}: record 100`, "g"))).toHaveLength(1);
  });
});
