/**
 * The HTML report's charts as an engineer reads them: the window as the peer reads it (the
 * crawl), a direction without data in one line, tcptrace's time-sequence graph from the recorded
 * segments and ACKs, and a phone-sized drawing of every chart.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AnalysisReport, type AnalyzeOptions, analyze } from "../src/analysis/analyze.js";
import { SequenceRecorder } from "../src/connections/timeline.js";
import { TcpSegment } from "../src/decode/segment.js";
import { renderChartSvg, renderSequenceSvg } from "../src/report/chart-svg.js";
import { renderHtml } from "../src/report/html.js";
import { ROOT } from "./helpers/bin.js";

const CAP = (name: string) => join(ROOT, "captures", name);
/** SVG text with the apostrophes it escapes put back, to compare with prose. */
const text = (svg: string) => svg.replace(/&#39;/g, "'");

async function withTimeline(name: string): Promise<AnalysisReport> {
  return analyze([CAP(name)], { idleTimeout: 300, timeline: true } as AnalyzeOptions);
}

/** The seed report with Finding.readAs as scale-rewritten proves it (the lead's rule fills it in). */
async function seed(): Promise<AnalysisReport> {
  const r = await withTimeline("rewrite-syn-0.client.pcap");
  r.findings.find((f) => f.id === "scale-rewritten")!.readAs ??= [{ side: "client", applied: 10, readWith: 0 }];
  return r;
}

describe("the window as the peer reads it", () => {
  it("the seed case: a red series at 63 B under the client's 63 KiB, and the server's flight on it", async () => {
    const r = await seed();
    const c = r.connections[0]!;
    const svg = text(
      renderChartSvg(c.timeline!, {
        id: "s",
        durationS: c.durationS,
        labels: { client: "client", server: "server" },
        readAs: { client: { shown: 10, applied: 10, readWith: 0 } },
      }),
    );
    expect(svg.match(/class="series-read"/g)).toHaveLength(1);
    expect(svg).toContain("client's advertised window (max 63 KiB)");
    expect(svg).toContain("as the server reads it (shift 0) (max 63 B)");
    expect(svg).toContain("server's bytes in flight (max 63 B)");
    const html = renderHtml(r);
    expect(html).toContain('10 <strong class="t-error">read as 0</strong>');
    expect(html).toContain("the bytes in flight follow this line, not the blue one");
  });

  it("stripped SYN-ACK, upload seen at the client: the capture shows the server's windows as the client reads them; the window as the server means it is added", async () => {
    const r = await withTimeline("strip-synack-upload.client.pcap");
    const f = r.findings.find((x) => x.id === "scale-stripped")!;
    f.readAs ??= [{ side: "server", applied: 10, readWith: 0 }];
    const c = r.connections[0]!;
    expect(c.server.shift).toBe(0); // what this capture shows
    const html = text(renderHtml(r));
    expect(html.match(/class="series-meant"/g)).toHaveLength(2); // wide and phone drawings
    expect(html).not.toContain('class="series-read"');
    expect(html).toMatch(/as the server means it \(shift 10\) \(max \d+(\.\d)? KiB\)/);
    expect(html).toContain("Purple dots: that window as the receiver means it");
    // The time-sequence graph of the upload: the edge as the server means it, and as the client reads it.
    expect(html).toContain("window edge as the server means it (shift 10)");
    expect(html).toContain("as the client reads it (shift 0)");
    // The connections table: the server applies 10 (the finding proves it), the client reads 0.
    expect(html).toContain('0<br>10 <strong class="t-error">read as 0</strong>');
  });

  it("no finding that proves a mismatch: no such series", async () => {
    const r = await withTimeline("rewrite-syn-0.client.pcap");
    for (const f of r.findings) delete f.readAs;
    const html = renderHtml(r);
    expect(html).not.toContain("series-read");
    expect(html).not.toContain("seq-edge-read");
    expect(html).not.toContain("read as");
  });
});

describe("a direction without data", () => {
  it("is one line, and bytes in flight count data only (no 1 B for a SYN or FIN)", async () => {
    const r = await seed();
    const t = r.connections[0]!.timeline!;
    expect(Math.max(0, ...t.clientInFlight.map(([, v]) => v))).toBe(0);
    const svg = text(renderChartSvg(t, { id: "s", durationS: 1, labels: { client: "c", server: "s" } }));
    expect(svg.match(/class="panel"/g)).toHaveLength(1);
    expect(svg).toMatch(
      /class="panel-empty"[^>]*><tspan[^>]*>Data client → server<\/tspan>: no data; the server's advertised window reached 64 KiB</,
    );
    expect(svg).not.toContain("max 1 B");
  });
});

describe("the time-sequence graph", () => {
  it("the seed case: 261 segments from the server, 260 of them ending exactly at ack + raw window << 0", async () => {
    const r = await seed();
    const d = r.connections[0]!.timeline!.serverData!;
    expect(d.segments).toHaveLength(261);
    expect(d.segments.filter((s) => s[3] === 1)).toEqual([]);
    expect(d.segments[0]!.slice(1)).toEqual([1, 64, 0]); // relative to the SYN: the first byte is 1
    let atReadEdge = 0;
    let i = 0;
    for (const [t, , end] of d.segments) {
      while (i + 1 < d.acks.length && d.acks[i + 1]![0] <= t) i++;
      const [, ack, raw] = d.acks[i]!;
      if (end === ack + raw) atReadEdge++;
    }
    expect(atReadEdge).toBe(260);
    expect(r.connections[0]!.timeline!.clientData!.segments).toEqual([]);
  });

  it("draws every segment, the ACK line, both window edges, and a zoom on the first round trips", async () => {
    const r = await seed();
    const c = r.connections[0]!;
    const svg = text(
      renderSequenceSvg(c.timeline!.serverData!, {
        id: "q",
        durationS: c.durationS,
        sender: "server",
        receiver: "client",
        shift: 10,
        readWith: 0,
      }),
    );
    const bars = /class="seq-data" d="([^"]*)"/.exec(svg)![1]!;
    expect(bars.match(/M/g)).toHaveLength(261);
    expect(svg).toContain('class="seq-ack"');
    expect(svg).toContain('class="seq-edge"');
    expect(svg).toContain('class="seq-edge-read"');
    expect(svg).toContain("window edge as the client means it (shift 10)");
    expect(svg).toContain("as the server reads it (shift 0)");
    expect(svg).toContain("the window edge runs above the graph");
    expect(svg).not.toContain("seq-retransmit");
    const html = renderHtml(r);
    expect(html).toContain("Zoom on the first round trips: data server → client");
    expect(html).toContain("The same, the first 8 round trips of data (RTT 20.9 ms).");
    expect(html).not.toMatch(/<script/i);
  });

  it("zero windows are dots on the ACK line (zero-window, client side)", async () => {
    const r = await withTimeline("zero-window.client.pcap");
    const c = r.connections[0]!;
    const d = c.timeline!.serverData!;
    const zeros = d.acks.filter((a) => a[2] === 0);
    expect(zeros.length).toBeGreaterThan(0);
    const svg = renderSequenceSvg(d, { id: "z", sender: "server", receiver: "client", shift: c.client.shift });
    expect(/<g class="seq-zero-window"[^>]*>(.*?)<\/g>/.exec(svg)![1]!.match(/<circle/g)).toHaveLength(zeros.length);
  });
});

describe("SequenceRecorder", () => {
  const seg = (seq: number, len: number, flags = 0x10, ack = 0, win = 100) => {
    const s = new TcpSegment();
    s.seq = seq >>> 0;
    s.payloadLength = len;
    s.flags = flags;
    s.ack = ack >>> 0;
    s.window = win;
    return s;
  };

  it("marks what the connection counted as a retransmission, relative to the SYN", () => {
    const r = new SequenceRecorder();
    r.send(seg(1000, 0, 0x02), 0, false); // SYN
    r.send(seg(1001, 100), 1, false);
    r.send(seg(1101, 100), 2, false);
    r.send(seg(1001, 100), 3, true);
    expect(r.toData(0).segments).toEqual([
      [1, 1, 101, 0],
      [2, 101, 201, 0],
      [3, 1, 101, 1],
    ]);
  });

  it("keeps climbing past the 32-bit wrap", () => {
    const r = new SequenceRecorder();
    const isn = 0xffff_ff00;
    r.send(seg(isn, 0, 0x02), 0, false);
    for (let i = 0; i < 4; i++) r.send(seg(isn + 1 + i * 100, 100), i + 1, false);
    r.ack(seg(0, 0, 0x10, isn + 401, 7), 5);
    const d = r.toData(0);
    expect(d.segments.map((s) => s[2])).toEqual([101, 201, 301, 401]);
    expect(d.acks).toEqual([[5, 401, 7]]);
  });

  it("stays bounded on a long transfer, and a retransmission survives the thinning", () => {
    const r = new SequenceRecorder();
    r.send(seg(0, 0, 0x02), 0, false);
    for (let i = 0; i < 200_000; i++) {
      r.send(seg(1 + i * 1448, 1448), i, false);
      if (i === 123_456) r.send(seg(1 + 5 * 1448, 1448), i + 0.5, true);
      r.ack(seg(0, 0, 0x10, 1 + i * 1448, i === 150_000 ? 0 : 1000), i + 0.1);
    }
    const d = r.toData(0);
    expect(d.segments.length).toBeLessThanOrEqual(2048);
    expect(d.acks.length).toBeLessThanOrEqual(2048);
    expect(d.segments.some((s) => s[3] === 1)).toBe(true);
    expect(d.acks.some((a) => a[2] === 0)).toBe(true);
    expect(Math.max(...d.segments.map((s) => s[2]))).toBe(1 + 200_000 * 1448);
    for (let i = 1; i < d.segments.length; i++) expect(d.segments[i]![0]).toBeGreaterThanOrEqual(d.segments[i - 1]![0]);
  });
});

describe("a phone-sized drawing", () => {
  it("every chart twice: 960 units wide for a page, 380 for a phone, shown by CSS", async () => {
    const html = renderHtml(await seed());
    const wide = html.match(/<div class="chart-wide"><svg[^>]*viewBox="0 0 960 /g) ?? [];
    const narrow = html.match(/<div class="chart-narrow"><svg[^>]*viewBox="0 0 380 /g) ?? [];
    expect(wide.length).toBe(3); // windows, time-sequence, zoom
    expect(narrow.length).toBe(3);
    expect(html).toContain("@media (max-width: 640px)");
    // Element ids stay unique across the two drawings.
    const ids = html.match(/ id="[^"]+"/g)!;
    expect(new Set(ids).size).toBe(ids.length);
  });
});
