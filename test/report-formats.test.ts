/**
 * Report formats from the one AnalysisReport model: NDJSON lines, JSON against the schema (with a
 * timeline), CSV quoting, Markdown escaping, the terminal table at 80 columns with 10,000
 * connections, and the HTML page (self-contained, escaped, charts from Timeline objects).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { type AnalysisReport, type AnalyzeOptions, analyze } from "../src/analysis/analyze.js";
import { totalsOf } from "../src/analysis/tally.js";
import {
  FINDINGS_IN_FULL_PER_ID,
  FINDINGS_LISTED_PER_ID,
  WorstConnections,
} from "../src/analysis/worst-connections.js";
import type { ConnectionSummary, Timeline } from "../src/connections/summary.js";
import type { Finding } from "../src/findings/finding.js";
import { byteTicks, renderChartSvg, thinMinMax, timeTicks, zeroStretches } from "../src/report/chart-svg.js";
import { CSV_COLUMNS, csvField, renderCsv } from "../src/report/csv.js";
import { renderHtml } from "../src/report/html.js";
import { JsonReportWriter, renderJsonReport } from "../src/report/json.js";
import { mdBlock, mdCode, mdText, renderMarkdown } from "../src/report/markdown.js";
import { groupFindings, impliedExitStatus, verdictCounts, worstByConnection, worstFirst } from "../src/report/model.js";
import { NdjsonWriter, ndjsonLine, renderNdjson } from "../src/report/ndjson.js";
import { Spill } from "../src/report/spill.js";
import { piecesText } from "../src/report/stream.js";
import { renderFinding, renderTable } from "../src/report/table.js";
import { wrapToken, wrapWords } from "../src/report/text.js";
import { BIN } from "./helpers/bin.js";
import { endpoint } from "./helpers/report-model.js";

/** A JSON document handed out in UTF-8 pieces, as one string. */
const jsonText = (pieces: Iterable<Uint8Array>) => Buffer.concat([...pieces]).toString("utf8");

const ROOT = join(import.meta.dirname, "..");
const CAP = (name: string) => join(ROOT, "captures", name);
const schema = (name: string) => JSON.parse(readFileSync(join(ROOT, "schema", name), "utf8"));
const SCHEMA = schema("report.schema.json");
const ajv = new Ajv2020({ allErrors: true });
ajv.addSchema(SCHEMA);
/** One JSON Schema per NDJSON record type (schema/<type>.record.schema.json). */
const RECORD_TYPES = ["handshake", "connection", "finding", "report"] as const;
const validateRecord = Object.fromEntries(
  RECORD_TYPES.map((t) => {
    const s = schema(`${t}.record.schema.json`);
    ajv.addSchema(s);
    return [t, ajv.getSchema(s.$id)!];
  }),
);
const validateReport = ajv.getSchema(SCHEMA.$id)!;

/** An NDJSON record valid against the schema of its type (and only of its type). */
function expectRecord(o: { type: string }): void {
  const validate = validateRecord[o.type];
  expect(validate, `no schema for type ${o.type}`).toBeDefined();
  expect(validate!(o), `${o.type}: ${JSON.stringify(validate!.errors)}`).toBe(true);
  for (const other of RECORD_TYPES) if (other !== o.type) expect(validateRecord[other]!(o)).toBe(false);
}
const NO_COLOR = new Chalk({ level: 0 });
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is being stripped
const ANSI = /\u001b\[[0-9;]*m/g;

// ---------------------------------------------------------------------------------------------
// A synthetic report model, for shapes no capture has (10,000 connections, long IPv6 addresses).

function connection(n: number, over: Partial<ConnectionSummary> = {}): ConnectionSummary {
  return {
    id: `c${n}`,
    handshake: "complete",
    scaling: "on",
    rolesGuessed: false,
    client: endpoint("198.18.1.2", 1024 + (n % 60000)),
    server: endpoint("198.19.2.2", 443),
    firstFrame: n * 12 + 1,
    startTime: 1_700_000_000 + n,
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

function finding(conn: string, over: Partial<Finding> = {}): Finding {
  return {
    id: "scale-rewritten",
    severity: "error",
    confidence: "likely",
    connection: conn,
    message: "The server never had more than 63 bytes in flight: a box on the path rewrote the shift.",
    evidence: [{ frame: 4, note: "server's data ends exactly at ack + raw window << 0" }],
    advice: [
      { kind: "route", command: "ip route change 198.18.2.2 via <gw> dev <dev> window 65535", why: "caps the shift" },
    ],
    ...over,
  };
}

function model(connections: ConnectionSummary[], findings: Finding[], path = "many.pcap"): AnalysisReport {
  return {
    schemaVersion: 1,
    inputs: [
      {
        path,
        format: "pcap",
        gzip: false,
        linkTypes: [1],
        packets: connections.length * 12,
        tcpSegments: connections.length * 12,
        skipped: {},
        warnings: [],
      },
    ],
    connections,
    findings,
  };
}

/** 10,000 connections: 9,000 healthy, 600 rewritten, 400 zero-window (and some info). */
function manyReport(): AnalysisReport {
  const conns: ConnectionSummary[] = [];
  const found: Finding[] = [];
  for (let n = 1; n <= 10_000; n++) {
    conns.push(connection(n));
    if (n % 50 === 7) found.push(finding(`c${n}`));
    if (n % 25 === 3) found.push(finding(`c${n}`, { id: "zero-window", severity: "warn", confidence: "certain" }));
    if (n % 100 === 1) found.push(finding(`c${n}`, { id: "scale-unverified", severity: "info", advice: [] }));
  }
  return model(conns, found);
}

async function reportOf(names: string[], opts: Partial<AnalyzeOptions> & { timeline?: boolean } = {}) {
  return analyze(names.map(CAP), { idleTimeout: 300, ...opts } as AnalyzeOptions);
}

/** Lines longer than `width` that are not commands (commands are never wrapped: they are copied). */
function overlong(text: string, width: number): string[] {
  const lines = text.replace(ANSI, "").split("\n");
  const commands = new Set<string>();
  let inHeredoc = false;
  for (const l of lines) {
    if (/^ {2}fix \d+ \([a-z]+\):/.test(l) && /<<'?EOF'?$/.test(l)) inHeredoc = true;
    if (inHeredoc) commands.add(l);
    if (l === "EOF") inHeredoc = false;
  }
  return lines.filter(
    (l) =>
      l.length > width && !commands.has(l) && !/^ {2}fix \d+ \((route|sysctl|os)\): /.test(l) && !/^ {4}\S/.test(l),
  );
}

// ---------------------------------------------------------------------------------------------

describe("NDJSON", () => {
  it("one object per line, each with a type; each connection then its findings; the report record last", async () => {
    const report = await reportOf(["rewrite-syn-0.client.pcap", "healthy-pcapng.client.pcapng"]);
    const text = renderNdjson(report, { failOn: "error" });
    expect(text.endsWith("\n")).toBe(true);
    const objects = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(objects.map((o) => o.type)).toEqual([
      "connection",
      "finding",
      "connection",
      "connection",
      "finding",
      "report",
    ]);
    // A finding follows the record of its connection.
    let current = "";
    for (const o of objects) {
      if (o.type === "connection") current = o.id;
      if (o.type === "finding") expect(o.connection).toBe(current);
    }
    for (const o of objects) expectRecord(o);
    // The report record is the JSON document without its two arrays: the same inputs and counts.
    const last = objects[objects.length - 1];
    const doc = JSON.parse(jsonText(renderJsonReport(report, "error")));
    const { connections: _c, findings: _f, ...rest } = doc;
    expect(last).toEqual({ type: "report", ...rest });
    expect(last).toMatchObject({
      schemaVersion: 1,
      summary: {
        connections: 3,
        findings: { error: 1, warn: 0, info: 1, total: 2 },
        verdicts: { "scale-rewritten": 1, "scale-unverified": 1, ok: 1 },
        findingIds: { "scale-rewritten": 1, "scale-unverified": 1 },
      },
      failOn: "error",
      exitStatus: 1,
    });
    expect(last.inputs.map((i: { packets: number }) => i.packets)).toEqual([526, 346]);
  });

  it("the report record's exit status follows --fail-on", async () => {
    const report = await reportOf(["strip-syn.client.pcap"]);
    const last = (failOn: "error" | "warn" | "never") =>
      JSON.parse(renderNdjson(report, { failOn }).trimEnd().split("\n").pop()!);
    expect(last("error").exitStatus).toBe(0);
    expect(last("warn").exitStatus).toBe(1);
    expect(last("never").exitStatus).toBe(0);
    expect(impliedExitStatus({ error: 0, warn: 0, info: 3 }, "info")).toBe(1);
  });

  it("one line per record, `type` first and the object's own fields after it, unchanged", () => {
    const conn = connection(1, { client: endpoint("2001:db8::1", 5000, { wscaleOffered: "unknown", shift: null }) });
    const f = finding("c1", { message: "line one\nline two" });
    for (const [type, value] of [
      ["handshake", conn],
      ["connection", conn],
      ["finding", f],
    ] as const) {
      const line = ndjsonLine(type, value);
      expect(line.endsWith("\n")).toBe(true);
      expect(line.slice(0, -1)).not.toContain("\n");
      expect(line.startsWith(`{"type":"${type}",`)).toBe(true);
      expect(JSON.parse(line)).toEqual({ type, ...value });
    }
    const writer = new NdjsonWriter("warn");
    writer.add(conn, [f]);
    writer.add(connection(2), []);
    const text = piecesText([...writer.take(), ...writer.end(model([], []))]);
    expect(text.split("\n").map((l) => (l ? JSON.parse(l).type : ""))).toEqual([
      "connection",
      "finding",
      "connection",
      "report",
      "",
    ]);
    expect(JSON.parse(text.trimEnd().split("\n").pop()!).summary).toEqual({
      connections: 2,
      findings: { error: 1, warn: 0, info: 0, total: 1 },
      verdicts: { "scale-rewritten": 1, ok: 1 },
      findingIds: { "scale-rewritten": 1 },
    });
  });
});

describe("JSON", () => {
  it("still validates against the schema, with a recorded timeline too", async () => {
    const plain = JSON.parse(jsonText(renderJsonReport(await reportOf(["rewrite-syn-0.client.pcap"]))));
    expect(validateReport(plain), JSON.stringify(validateReport.errors)).toBe(true);
    const withTimeline = JSON.parse(
      jsonText(renderJsonReport(await reportOf(["zero-window.client.pcap"], { timeline: true }))),
    );
    expect(validateReport(withTimeline), JSON.stringify(validateReport.errors)).toBe(true);
    // The schema describes the timeline rather than letting anything through.
    const synthetic = model([connection(1, { timeline: timeline() })], []);
    expect(validateReport(JSON.parse(jsonText(renderJsonReport(synthetic))))).toBe(true);
    const bad = model(
      [
        connection(1, {
          timeline: { ...timeline(), events: [{ t: 0, kind: "bogus", label: "", frame: 1 }] } as unknown as Timeline,
        }),
      ],
      [],
    );
    expect(validateReport(JSON.parse(jsonText(renderJsonReport(bad))))).toBe(false);
  });
});

describe("CSV", () => {
  it("quotes per RFC 4180; every column one type: numbers (empty when unknown), true/false, or a fixed word", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi", then\r\nleave')).toBe('"say ""hi"", then\r\nleave"');
    expect(csvField(null)).toBe("");
    expect(csvField(false)).toBe("false");
    const conn = connection(1, {
      client: endpoint("2001:db8::1", 5000, { wscaleOffered: null, shift: 0 }),
      server: endpoint("2001:db8::2", 80, { wscaleOffered: "unknown", shift: null, maxWindow: null }),
      rttMs: null,
    });
    const csv = renderCsv(
      model(
        [conn, connection(2)],
        [
          finding("c1", { id: "zero-window", severity: "warn" }),
          finding("c2", { readAs: [{ side: "client", applied: 7, readWith: 0 }] }),
        ],
      ),
    );
    const [head, one, two] = csv.split("\r\n").map((r) => r.split(","));
    expect(head).toEqual([...CSV_COLUMNS]);
    const rec = (row: string[]) => Object.fromEntries(head!.map((h, i) => [h, row[i]]));
    expect(rec(one!)).toMatchObject({
      client_ip: "2001:db8::1",
      client_wscale_offered_state: "absent",
      client_wscale_offered: "",
      server_wscale_offered_state: "unknown",
      server_wscale_offered: "",
      client_shift: "0",
      server_shift: "",
      client_read_as_shift: "",
      server_max_window: "",
      rtt_ms: "",
      findings: "1",
      worst_finding: "zero-window",
      worst_severity: "warn",
    });
    expect(rec(two!)).toMatchObject({
      client_wscale_offered_state: "present",
      client_wscale_offered: "7",
      client_shift: "7",
      client_read_as_shift: "0",
      server_read_as_shift: "",
      worst_finding: "scale-rewritten",
    });
  });
});

describe("Markdown", () => {
  it("escapes prose but keeps the analysis' code spans, and fences anything", () => {
    expect(mdText("use `win 63` *now* <script>alert(1)</script> a_b _x_")).toBe(
      "use `win 63` \\*now\\* \\<script>alert(1)\\</script> a_b \\_x\\_",
    );
    expect(mdText("[click](http://x)")).toBe("\\[click](http://x)");
    expect(mdText("tcp_rmem[2] 1 << 10 -> 65535")).toBe("tcp_rmem[2] 1 << 10 -> 65535");
    expect(mdText("# not a heading")).toBe("\\# not a heading");
    expect(mdText("odd ` backtick")).toBe("odd \\` backtick");
    expect(mdCode("a`b|c")).toBe("``a`b\\|c``");
    expect(mdCode("`x`")).toBe("`` `x` ``");
    expect(mdBlock("```\nrm -rf /\n```", "sh")).toBe("````sh\n```\nrm -rf /\n```\n````");
  });

  it("a hostile path and message stay text; 10,000 connections give the worst 50 and a pointer to CSV", () => {
    const report = manyReport();
    report.inputs[0]!.path = "evil|`name`<img src=x>.pcap";
    report.findings[0]!.message = "</p><script>alert(1)</script> | [x](javascript:alert(1))";
    const md = renderMarkdown(report);
    expect(md).toContain("| ``evil\\|`name`<img src=x>.pcap`` |");
    expect(md).not.toMatch(/(^|[^\\])<script>/);
    expect(md).toContain("\\[x](javascript:alert(1))");
    const rows = md.split("\n").filter((l) => /^\| c\d+ \|/.test(l));
    expect(rows).toHaveLength(50);
    expect(md).toContain("Showing the 50 worst of 10000 connections");
    expect(md).toContain("--format csv");
    expect(rows[0]).toContain("scale-rewritten");
    expect(
      renderMarkdown(report, { top: 5 })
        .split("\n")
        .filter((l) => /^\| c\d+ \|/.test(l)),
    ).toHaveLength(5);
  });
});

describe("terminal table", () => {
  it("fits 80 columns, long IPv6 addresses included", () => {
    const long = "2001:db8:85a3:1234:5678:8a2e:370:7334";
    const report = model(
      [
        connection(1, {
          client: endpoint(long, 65535),
          server: endpoint("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 443),
        }),
        connection(2),
      ],
      [
        finding("c1", { id: "wscale-on-synack-without-syn", severity: "warn" }),
        finding("c1", { id: "window-enforcing-middlebox" }),
      ],
    );
    const text = renderTable(report, { color: NO_COLOR, width: 80 });
    expect(overlong(text, 80)).toEqual([]);
    // The address is wrapped at a colon, not cut or truncated with an ellipsis.
    expect(text).not.toContain("…");
    const joined = text.split("\n").join("");
    expect(joined.replace(/\s+/g, "")).toContain(`[${long}]:65535`.replace(/\s+/g, ""));
    expect(text).toMatch(/\[2001:db8:85a3:1234:/);
  });

  it("10,000 connections: a summary line first, the worst 50, a pointer to the export, findings grouped", () => {
    const text = renderTable(manyReport(), { color: NO_COLOR, width: 80 });
    expect(overlong(text, 80)).toEqual([]);
    const lines = text.split("\n");
    expect(lines[0]).toBe("many.pcap: pcap, Ethernet, 120000 packets, 120000 TCP");
    expect(lines.slice(1, 4).join(" ")).toMatch(
      /^10000 connections, 700 findings \(200 error, 400 warn, 100 info\)\. Verdicts: 200 scale-rewritten, 400 zero-window, 100 scale-unverified, 9300 ok\./,
    );
    const rows = lines.filter((l) => /^c\d+ /.test(l));
    expect(rows).toHaveLength(50);
    expect(rows[0]).toMatch(/^c7 /);
    expect(text).toContain("Showing the 50 worst of 10000 connections");
    expect(text).toMatch(/--format csv/);
    // Each id: the first three in full, then one grouped line.
    expect(lines.filter((l) => l.startsWith("[error] scale-rewritten"))).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith("[warn] zero-window"))).toHaveLength(3);
    expect(text).toMatch(/\.\.\. and 197 more scale-rewritten findings \(error, as above\) on c157, c207,/);
    expect(text.length).toBeLessThan(40_000);
    expect(
      renderTable(manyReport(), { color: NO_COLOR, width: 80, top: 3 })
        .split("\n")
        .filter((l) => /^c\d+ /.test(l)),
    ).toHaveLength(3);
  });

  it("uses a wide terminal without wrapping, and colours only when asked", () => {
    const report = model([connection(1)], [finding("c1", { id: "wscale-on-synack-without-syn" })]);
    const wide = renderTable(report, { color: NO_COLOR, width: 160 });
    expect(wide).toMatch(/wscale-on-synack-without-syn/);
    expect(wide.split("\n").every((l) => l.length <= 160)).toBe(true);
    expect(wide).not.toMatch(ANSI);
    expect(renderTable(report, { color: new Chalk({ level: 1 }), width: 80 })).toMatch(ANSI);
    // The signature live mode uses.
    expect(renderFinding(report.findings[0]!, NO_COLOR)[0]).toBe("[error] wscale-on-synack-without-syn (likely) on c1");
  });

  it("shows control characters in file names and messages as escapes, never raw", () => {
    const report = model(
      [connection(1)],
      [finding("c1", { message: "bad\u001b[2Jnews" })],
      "evil\u001b]0;title\u0007.pcap",
    );
    const text = renderTable(report, { color: NO_COLOR, width: 80 });
    expect([...text].filter((ch) => ch !== "\n" && ch.charCodeAt(0) < 0x20)).toEqual([]);
    expect(text).toContain("evil\\x1b]0;title\\x07.pcap");
    expect(text).toContain("bad\\x1b[2Jnews");
  });

  it("wraps words and tokens", () => {
    expect(wrapWords("aa bb cc", 5)).toEqual(["aa bb", "cc"]);
    expect(wrapToken("window-enforcing-middlebox", 12, "-")).toEqual(["window-", "enforcing-", "middlebox"]);
    expect(wrapToken("[2001:db8:1::2]:36146", 16)).toEqual(["[2001:db8:1::2]:", "36146"]);
  });
});

describe("model helpers", () => {
  it("verdicts per connection and groups of findings", () => {
    const report = manyReport();
    const worst = worstByConnection(report.findings);
    const v = verdictCounts(report.connections, worst);
    expect(v.map((x) => x.verdict)).toEqual(["scale-rewritten", "zero-window", "scale-unverified", "ok"]);
    expect(v.reduce((a, x) => a + x.connections, 0)).toBe(10_000);
    const groups = groupFindings(report.findings);
    expect(groups.map((g) => [g.id, g.count, g.full.length, g.rest.length])).toEqual([
      ["scale-rewritten", 200, 3, 197],
      ["zero-window", 400, 3, 397],
      ["scale-unverified", 100, 3, 97],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Memory follows live connections: streamed writers, the worst-connections digest, the spill.

describe("bounded reports", () => {
  /** The 10,000-connection report fed to a digest in the order the analysis would finish them. */
  function digestOf(report: AnalysisReport, keep: number): WorstConnections {
    const digest = new WorstConnections(keep);
    const byConn = new Map<string, Finding[]>();
    for (const f of report.findings) byConn.set(f.connection, [...(byConn.get(f.connection) ?? []), f]);
    for (const c of report.connections) digest.add(c, byConn.get(c.id) ?? []);
    return digest;
  }

  it("the digest keeps the worst 50 of 10,000 connections and a few findings per id, with exact totals", () => {
    const full = manyReport();
    const digest = digestOf(full, 50).report(full);
    expect(digest.connections).toHaveLength(50);
    const worst = worstByConnection(full.findings);
    expect(worstFirst(digest.connections, worstByConnection(digest.findings)).map((c) => c.id)).toEqual(
      worstFirst(full.connections, worst)
        .slice(0, 50)
        .map((c) => c.id),
    );
    // Per id: the first 3 + 50 findings, plus those of the kept connections; nothing more.
    expect(digest.findings.length).toBeLessThanOrEqual(3 * (FINDINGS_IN_FULL_PER_ID + FINDINGS_LISTED_PER_ID) + 50 * 3);
    expect(digest.totals).toEqual(totalsOf(full.connections, full.findings));
    expect(digest.totals!.verdicts.map((v) => [v.verdict, v.connections])).toEqual([
      ["scale-rewritten", 200],
      ["zero-window", 400],
      ["scale-unverified", 100],
      ["ok", 9300],
    ]);
    expect(groupFindings(digest).map((g) => [g.id, g.count, g.full.length])).toEqual([
      ["scale-rewritten", 200, 3],
      ["zero-window", 400, 3],
      ["scale-unverified", 100, 3],
    ]);
  });

  it("the terminal table and Markdown of the digest are those of the whole report", () => {
    const full = manyReport();
    const digest = digestOf(full, 50).report(full);
    expect(renderTable(digest, { color: NO_COLOR, width: 100 })).toBe(
      renderTable(full, { color: NO_COLOR, width: 100 }),
    );
    expect(renderMarkdown(digest)).toBe(renderMarkdown(full));
    const top5 = digestOf(full, 5).report(full);
    expect(renderTable(top5, { color: NO_COLOR, width: 100, top: 5 })).toBe(
      renderTable(full, { color: NO_COLOR, width: 100, top: 5 }),
    );
    // HTML lists the kept connections and says where the others are.
    const html = renderHtml(digest);
    expect(html).toContain("The 50 worst of 10000 connections");
    expect(html).toContain("10000 connections, 700 findings");
  });

  it("the JSON writer streams the connections array as connections finish; the findings follow it", () => {
    const writer = new JsonReportWriter("warn");
    const seen: string[] = [];
    for (let n = 1; n <= 3; n++) {
      writer.add(connection(n), n === 2 ? [finding("c2"), finding("c2", { id: "zero-window", severity: "warn" })] : []);
      seen.push(piecesText(writer.take()));
    }
    expect(seen[0]).toMatch(/^\{\n {2}"schemaVersion": 1,\n {2}"connections": \[\n {4}\{"id":"c1",/);
    expect(seen[1]).toMatch(/^,\n {4}\{"id":"c2",/);
    expect(seen.join("")).not.toContain('"findings"');
    const doc = JSON.parse(seen.join("") + piecesText(writer.end(model([], []))));
    expect(validateReport(doc), JSON.stringify(validateReport.errors)).toBe(true);
    expect(doc.connections.map((c: ConnectionSummary) => c.id)).toEqual(["c1", "c2", "c3"]);
    expect(doc.findings.map((f: Finding) => f.id)).toEqual(["scale-rewritten", "zero-window"]);
    expect(doc.summary.verdicts).toEqual({ "scale-rewritten": 1, ok: 2 });
    expect(doc).toMatchObject({ failOn: "warn", exitStatus: 1 });
    expect(Object.keys(doc)).toEqual([
      "schemaVersion",
      "connections",
      "findings",
      "inputs",
      "summary",
      "failOn",
      "exitStatus",
    ]);
  });

  it("a spill past its memory limit goes to an unnamed temporary file and comes back byte for byte", () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith("wscale-"));
    const spill = new Spill(1000);
    const pieces = Array.from({ length: 50 }, (_, i) => Buffer.from(`${"é".repeat(i)}${i},`));
    for (const p of pieces) spill.push(p);
    expect(spill.size).toBe(Buffer.concat(pieces).length);
    // Nothing is left under a name while the spill is open.
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("wscale-"))).toEqual(before);
    expect(Buffer.concat([...spill.drain()])).toEqual(Buffer.concat(pieces));
    expect(spill.size).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// One event schema: the real output of `analyze` and `live`, every record checked.

function wscale(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 1 << 28,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function records(ndjson: string): { type: string; [k: string]: unknown }[] {
  expect(ndjson.endsWith("\n")).toBe(true);
  return ndjson
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
}

describe("one event schema for analyze and live", () => {
  const NAMES = ["rewrite-syn-0.client.pcap", "strip-synack.client.pcap", "zero-window.server.pcap"];

  it("analyze --format ndjson: every record valid for its type, the same objects as --format json", () => {
    const paths = NAMES.map(CAP);
    const nd = wscale(["analyze", ...paths, "--format", "ndjson", "--fail-on", "warn"]);
    const js = wscale(["analyze", ...paths, "--format", "json", "--fail-on", "warn"]);
    expect(nd.code, nd.stderr).toBe(1);
    expect(js.code, js.stderr).toBe(1);
    const recs = records(nd.stdout);
    for (const r of recs) expectRecord(r);
    const doc = JSON.parse(js.stdout);
    expect(validateReport(doc), JSON.stringify(validateReport.errors)).toBe(true);
    const strip = ({ type: _, ...rest }: { type: string }) => rest;
    expect(recs.filter((r) => r.type === "connection").map(strip)).toEqual(doc.connections);
    expect(recs.filter((r) => r.type === "finding").map(strip)).toEqual(doc.findings);
    const { connections: _c, findings: _f, ...end } = doc;
    expect(recs.at(-1)).toEqual({ type: "report", ...end });
    // The summary counts exactly what the records carry.
    const findings = recs.filter((r) => r.type === "finding") as unknown as Finding[];
    const byId: Record<string, number> = {};
    for (const f of findings) byId[f.id] = (byId[f.id] ?? 0) + 1;
    expect(doc.summary.connections).toBe(3);
    expect(doc.summary.findings.total).toBe(findings.length);
    expect(doc.summary.findingIds).toEqual(byId);
    expect(doc.summary.verdicts["scale-rewritten"]).toBe(1);
    expect(Object.values(doc.summary.verdicts as Record<string, number>).reduce((a, b) => a + b)).toBe(3);
  });

  it("live --format ndjson: handshake, finding, connection and report records of the same shapes and values", () => {
    for (const name of NAMES) {
      const pcap = readFileSync(CAP(name));
      const live = wscale(["live", "-", "--format", "ndjson", "--fail-on", "never"], pcap);
      const file = wscale(["analyze", CAP(name), "--format", "ndjson", "--fail-on", "never"]);
      expect(live.code, live.stderr).toBe(0);
      const recs = records(live.stdout);
      for (const r of recs) expectRecord(r);
      expect(recs[0]!.type, name).toBe("handshake");
      expect(recs.at(-1)!.type).toBe("report");
      // The finished connection is the same object whether the capture came from a pipe or a file.
      const fileRecs = records(file.stdout);
      expect(recs.filter((r) => r.type === "connection")).toEqual(fileRecs.filter((r) => r.type === "connection"));
      const ids = (rs: typeof recs) =>
        rs
          .filter((r) => r.type === "finding")
          .map((r) => r.id)
          .sort();
      expect(ids(recs)).toEqual(ids(fileRecs));
      expect(recs.at(-1)!.summary).toEqual(fileRecs.at(-1)!.summary);
    }
  });
});

// ---------------------------------------------------------------------------------------------

function timeline(): Timeline {
  return {
    clientWindow: [
      [0.02, 64512],
      [0.5, 0],
      [0.9, 128000],
    ],
    serverWindow: [[0.02, 65536]],
    clientInFlight: [
      [0.03, 30000],
      [0.05, 0],
    ],
    serverInFlight: [
      [0.04, 1448],
      [0.06, 14480],
      [0.1, 0],
      [0.3, 30000],
      [0.45, 0],
    ],
    events: [
      { t: 0.02, kind: "handshake", label: "handshake complete", frame: 3 },
      { t: 0.5, kind: "zero-window", label: "client advertises a zero window", frame: 40 },
      { t: 0.5, kind: "finding", label: "zero-window", frame: 40 },
    ],
  };
}

describe("chart", () => {
  it("thins per pixel column keeping first, min, max and last, so a one-point spike survives", () => {
    const points: [number, number][] = [];
    for (let i = 0; i < 100_000; i++) points.push([i / 1000, 1000 + (i % 7)]);
    points[54_321]![1] = 9_999_999;
    points[76_543]![1] = 0;
    const thin = thinMinMax(points, 0, 100, 800);
    expect(thin.length).toBeLessThanOrEqual(4 * 800);
    expect(thin.some(([, v]) => v === 9_999_999)).toBe(true);
    expect(thin.some(([, v]) => v === 0)).toBe(true);
    expect(thin[0]).toEqual(points[0]);
    expect(thin[thin.length - 1]).toEqual(points[points.length - 1]);
    for (let i = 1; i < thin.length; i++) expect(thin[i]![0]).toBeGreaterThanOrEqual(thin[i - 1]![0]);
  });

  it("draws both directions, the zero-window stretch and the marks; ticks are round", () => {
    const svg = renderChartSvg(timeline(), {
      id: "t1",
      durationS: 1,
      labels: { client: "client a", server: "server b" },
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/class="series-window"/g)).toHaveLength(2);
    expect(svg.match(/class="series-flight"/g)).toHaveLength(2);
    expect(svg).not.toContain("panel-empty");
    expect(svg.match(/class="zero-window"/g)).toHaveLength(1);
    expect(svg).toContain('class="marker marker-handshake"');
    expect(svg).toContain('class="marker marker-zero-window"');
    expect(svg).toContain('class="marker marker-finding"');
    expect(zeroStretches(timeline().clientWindow, 1)).toEqual([[0.5, 0.9]]);
    expect(byteTicks(64512).map((t) => t.label)).toEqual(["0", "16 KiB", "32 KiB", "48 KiB", "64 KiB"]);
    expect(timeTicks(5.5).map((t) => t.label)).toEqual(["0", "1 s", "2 s", "3 s", "4 s", "5 s"]);
    expect(timeTicks(0.3)[1]!.label).toMatch(/ ms$/);
  });

  it("a window hundreds of times the bytes in flight switches that panel to a log scale", () => {
    const tl: Timeline = {
      ...timeline(),
      serverInFlight: [
        [0.1, 63],
        [0.2, 0],
        [0.3, 63],
      ],
    };
    const svg = renderChartSvg(tl, { id: "t2", durationS: 1, labels: { client: "c", server: "s" } });
    expect(svg).toContain("Data server → client (log scale)");
    expect(svg).not.toContain("Data client → server (log scale)");
  });
});

describe("HTML", () => {
  it("is self-contained: no script, no external resource, a policy that forbids both", async () => {
    const report = await reportOf(["zero-window.client.pcap"], { timeline: true });
    const html = renderHtml(report);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|\ssrc=|\shref="(?!#)/i);
    expect(new Set(html.match(/https?:\/\/[^"'\s<]+/g) ?? [])).toEqual(new Set(["http://www.w3.org/2000/svg"]));
    expect(html.match(/url\((?!#)/g)).toBeNull();
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).toContain("<svg");
    expect(html).toContain('class="series-window"');
  });

  it("escapes paths, messages, evidence, advice and timeline labels", () => {
    const evil = `<script>alert("x")</script>&"'`;
    const tl = timeline();
    tl.events.push({ t: 0.7, kind: "finding", label: evil, frame: 9 });
    const report = model(
      [connection(1, { timeline: tl, client: endpoint(evil, 1) })],
      [
        finding("c1", {
          message: evil,
          evidence: [{ frame: 1, note: evil }],
          advice: [{ kind: "sysctl", command: evil, why: evil }],
        }),
      ],
      evil,
    );
    const html = renderHtml(report);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain('"x"');
    expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#34;&#39;");
  });

  it("a connection without a timeline gets a note instead of a chart; many connections get the worst 50 charted", () => {
    const one = renderHtml(model([connection(1)], []));
    expect(one).toContain("No timeline was recorded for this connection");
    expect(one).not.toContain("<svg");
    const report = manyReport();
    for (const c of report.connections) c.timeline = timeline();
    const html = renderHtml(report);
    // Each chart is drawn for a wide page and for a phone.
    expect(html.match(/<div class="chart-wide"><svg/g)).toHaveLength(50);
    expect(html.match(/<div class="chart-narrow"><svg/g)).toHaveLength(50);
    expect(html).toContain("Charts for the 50 worst of 10000 connections");
    expect(html.match(/<tr><td>/g)!.length).toBeGreaterThanOrEqual(10_000);
  });
});
