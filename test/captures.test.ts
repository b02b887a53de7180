/**
 * Every real capture in captures/ (made by the kernel in namespaces, see captures/README.md),
 * checked against what independent tools read from the same files: tshark's numbers in
 * captures/manifest.json, tcpdump's text, pcap-parser's records, and tshark's bytes in flight.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AnalysisReport, analyze } from "../src/analysis/analyze.js";
import { newFrame } from "../src/capture/frame.js";
import { PcapReader } from "../src/capture/pcap.js";
import type { EndpointSummary } from "../src/connections/summary.js";

const require = createRequire(import.meta.url);
const DIR = join(import.meta.dirname, "..", "captures");

interface ManifestEndpoint {
  ip: string;
  port: number;
  dataBytes: number;
  largestSegment: number;
  retransmissions: number;
  minWindowRaw: number | null;
  maxWindowRaw: number | null;
  zeroWindows: number;
}
interface ManifestSyn {
  frame: number;
  window: number;
  wscale: number | null;
  optionKinds: number[];
}
interface ManifestFile {
  file: string;
  format: string;
  packets: number;
  tcpPackets: number;
  interfaces: { linkType: string }[];
  connections: {
    client: ManifestEndpoint;
    server: ManifestEndpoint;
    syn: ManifestSyn | null;
    synAck: ManifestSyn | null;
  }[];
}

const manifest: { files: (ManifestFile & { gzipOf?: string })[] } = JSON.parse(
  readFileSync(join(DIR, "manifest.json"), "utf8"),
);
// A .gz entry stands for the same numbers as the file it compresses.
const files: ManifestFile[] = manifest.files.map((f) =>
  f.gzipOf ? { ...manifest.files.find((o) => o.file === f.gzipOf)!, file: f.file } : f,
);
const reports = new Map<string, Promise<AnalysisReport>>();
function report(file: string): Promise<AnalysisReport> {
  if (!reports.has(file)) reports.set(file, analyze([join(DIR, file)], { idleTimeout: 300 }));
  return reports.get(file)!;
}

function has(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** tshark names link types by its own encapsulation; these are the LINKTYPE_ values. */
const LINKTYPE: Record<string, number> = { ether: 1, "linux-sll": 113, "linux-sll2": 276, null: 0, rawip: 101 };

/** Option kinds as our report names them. */
const NAMES: Record<number, string> = { 0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 8: "TS" };

/** What each capture must yield: the verdicts from its vantage point (SPEC section 4). */
const VERDICTS: Record<string, string[]> = {
  "healthy.client.pcap": [],
  "healthy.server.pcap": [],
  "healthy.client.pcap.gz": [],
  "healthy.snap73.client.pcap": ["scale-unknown info likely", "scale-unknown info possible"],
  "healthy-any.client.pcap": [],
  "healthy-any.server.pcap": [],
  "healthy-any-sll2.client.pcap": [],
  "healthy-ns.client.pcap": [],
  "healthy-ns.server.pcap": [],
  // One note per connection, however many of its sides have small raw windows.
  "healthy-pcapng.client.pcapng": ["scale-unverified info certain"],
  "healthy-pcapng.server.pcapng": [],
  "vlan.client.pcap": [],
  "vlan.server.pcap": [],
  "vlan-qinq.client.pcap": [],
  "vlan-qinq.server.pcap": [],
  "zero-above-2-route-window.client.pcap": [],
  "zero-above-2-route-window.server.pcap": [],
  "strip-syn.client.pcap": ["scale-stripped warn possible"],
  // Scaling off: the 64 KiB window binds, and only the sender's side sees it fill.
  "strip-syn.server.pcap": ["option-cleared-nops warn likely client-to-server", "window-limited info likely"],
  "ipv6-strip-syn.client.pcap": ["scale-stripped warn possible"],
  "ipv6-strip-syn.server.pcap": ["option-cleared-nops warn likely client-to-server", "window-limited info likely"],
  // The server's first window (64 bytes unscaled, after 65160 in the SYN-ACK) shows it scales: likely, not certain.
  "strip-synack.client.pcap": [
    "scale-stripped warn likely server-to-client",
    "option-cleared-nops warn likely server-to-client",
  ],
  "strip-synack.server.pcap": ["scale-asymmetric error likely server-to-client"],
  "strip-synack-upload.client.pcap": [
    "scale-stripped error likely server-to-client",
    "option-cleared-nops warn likely server-to-client",
    "window-limited info likely",
  ],
  "strip-synack-upload.server.pcap": ["scale-asymmetric error likely server-to-client"],
  "rewrite-syn-0.client.pcap": ["scale-rewritten error likely client-to-server"],
  "rewrite-syn-0.server.pcap": ["scale-rewritten error likely client-to-server", "window-limited info likely"],
  "zero-above-2.client.pcap": ["scale-rewritten error likely client-to-server"],
  "zero-above-2.server.pcap": ["scale-rewritten error likely client-to-server", "window-limited info likely"],
  "server-noscale.client.pcap": ["scale-stripped warn possible"],
  "server-noscale.server.pcap": ["scale-declined warn certain", "window-limited info likely"],
  "zero-window.client.pcap": ["zero-window warn certain"],
  "zero-window.server.pcap": ["zero-window warn certain"],
};

describe("captures/: every file decodes exactly as tshark reads it", () => {
  it("the manifest and the verdict table cover the same files", () => {
    expect(files.map((f) => f.file).sort()).toEqual(Object.keys(VERDICTS).sort());
  });

  for (const m of files) {
    it(`${m.file}: packets, link types, handshake options, windows and data`, async () => {
      const r = await report(m.file);
      const input = r.inputs[0]!;
      expect(input.warnings).toEqual([]);
      expect(input.format).toBe(m.format === "pcapng" ? "pcapng" : "pcap");
      expect(input.packets).toBe(m.packets);
      expect(input.tcpSegments).toBe(m.tcpPackets);
      expect(input.linkTypes).toEqual([
        ...new Set(m.interfaces.map((i) => LINKTYPE[/ - ([\w-]+)\)/.exec(i.linkType)![1]!])),
      ]);
      expect(r.connections).toHaveLength(m.connections.length);
      for (const mc of m.connections) {
        const c = r.connections.find((x) => x.client.port === mc.client.port && x.server.port === mc.server.port);
        expect(c, `connection ${mc.client.port} -> ${mc.server.port}`).toBeDefined();
        const truncated = m.file.includes("snap73");
        for (const [ours, theirs, syn] of [
          [c!.client, mc.client, mc.syn],
          [c!.server, mc.server, mc.synAck],
        ] as [EndpointSummary, ManifestEndpoint, ManifestSyn | null][]) {
          expect(ours.ip).toBe(theirs.ip);
          expect(ours.dataBytes).toBe(theirs.dataBytes);
          expect(ours.largestSegment).toBe(theirs.largestSegment);
          expect(ours.retransmissions).toBe(theirs.retransmissions);
          expect(ours.minWindowRaw).toBe(theirs.minWindowRaw);
          expect(ours.maxWindowRaw).toBe(theirs.maxWindowRaw);
          expect(ours.zeroWindows.advertisements).toBe(theirs.zeroWindows);
          expect(ours.synSeen).toBe(syn !== null);
          if (syn === null) continue;
          expect(ours.syn!.frame).toBe(syn.frame);
          expect(ours.syn!.window).toBe(syn.window);
          // A snaplen that cut the shift byte: unknown, never absent (tshark shows no wscale at all).
          expect(ours.wscaleOffered).toBe(truncated ? "unknown" : syn.wscale);
          if (!truncated) expect(ours.syn!.options).toEqual(syn.optionKinds.map((k) => NAMES[k] ?? `opt-${k}`));
        }
        if (c!.scaling === "on") {
          expect(c!.client.maxWindow).toBe(c!.client.maxWindowRaw! * 2 ** c!.client.shift!);
        }
      }
    });
  }
});

describe("captures/: findings from each vantage point", () => {
  for (const m of files) {
    it(`${m.file}: ${VERDICTS[m.file]!.join("; ") || "no findings"}`, async () => {
      const r = await report(m.file);
      const got = r.findings.map((f) => [f.id, f.severity, f.confidence, f.direction].filter(Boolean).join(" "));
      expect(got).toEqual(VERDICTS[m.file]);
      // The whole findings JSON is kept beside the tests so that a change shows up in review.
      await expect(`${JSON.stringify(r.findings, null, 2)}\n`).toMatchFileSnapshot(
        `__snapshots__/findings/${m.file}.json`,
      );
    });
  }

  it("healthy captures raise nothing at warn or error", async () => {
    for (const m of files.filter((f) => VERDICTS[f.file]!.length === 0)) {
      const r = await report(m.file);
      expect(
        r.findings.filter((f) => f.severity !== "info"),
        m.file,
      ).toEqual([]);
    }
  });
});

describe.skipIf(!has("tshark"))(
  "captures/: bytes in flight and window-full segments equal tshark's tcp.analysis.bytes_in_flight and window_full",
  () => {
    for (const m of files.filter((f) => !f.file.endsWith(".gz"))) {
      it(m.file, async () => {
        const fields = ["tcp.srcport", "tcp.analysis.bytes_in_flight", "tcp.analysis.window_full"];
        const out = execFileSync(
          "tshark",
          ["-r", join(DIR, m.file), "-T", "fields", ...fields.flatMap((f) => ["-e", f])],
          {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          },
        );
        const maxFlight = new Map<number, number>();
        const windowFull = new Map<number, number>();
        for (const line of out.split("\n")) {
          const [port, flight, full] = line.split("\t");
          const p = Number(port);
          if (flight) maxFlight.set(p, Math.max(maxFlight.get(p) ?? 0, Number(flight)));
          if (full) windowFull.set(p, (windowFull.get(p) ?? 0) + 1);
        }
        const r = await report(m.file);
        for (const c of r.connections) {
          for (const e of [c.client, c.server]) {
            expect(e.maxInFlight, `bytes in flight from port ${e.port}`).toBe(maxFlight.get(e.port) ?? 0);
            expect(e.windowFull, `window-full segments from port ${e.port}`).toBe(windowFull.get(e.port) ?? 0);
          }
        }
      });
    }
  },
);

describe.skipIf(!has("tcpdump"))("captures/: the handshake as tcpdump prints it", () => {
  for (const m of files.filter(
    (f) => f.connections.length > 0 && !f.file.includes("snap73") && !f.file.endsWith(".gz"),
  )) {
    it(m.file, async () => {
      // No BPF filter: tcp[] offsets miss VLAN-tagged and IPv6 frames.
      const text = execFileSync("tcpdump", ["-nr", join(DIR, m.file)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        maxBuffer: 64 << 20,
      });
      const r = await report(m.file);
      const c = r.connections[0]!;
      const synLine = text.split("\n").find((l) => l.includes(`.${c.client.port} > `) && l.includes("Flags [S]"))!;
      const ackLine = text.split("\n").find((l) => l.includes(`.${c.server.port} > `) && l.includes("Flags [S.]"))!;
      const shift = (line: string) => {
        const w = /wscale (\d+)/.exec(line);
        return w ? Number(w[1]) : null;
      };
      expect(c.client.wscaleOffered).toBe(shift(synLine));
      expect(c.server.wscaleOffered).toBe(shift(ackLine));
      expect(c.client.syn!.window).toBe(Number(/win (\d+)/.exec(synLine)![1]));
      expect(c.client.syn!.mss).toBe(Number(/mss (\d+)/.exec(synLine)![1]));
    });
  }
});

describe("captures/: pcap-parser, an independent reader, returns the same records", () => {
  const pcapParser = require("pcap-parser") as { parse(path: string): NodeJS.EventEmitter };
  const classic = files.filter((f) => f.format === "pcap" && !f.file.endsWith(".gz") && !f.file.includes("-ns."));
  for (const m of classic) {
    it(m.file, async () => {
      const theirs: { sec: number; usec: number; caplen: number; len: number; data: string }[] = [];
      await new Promise<void>((resolve, reject) => {
        const p = pcapParser.parse(join(DIR, m.file));
        p.on("packet", (pkt: { header: Record<string, number>; data: Buffer }) => {
          const h = pkt.header;
          theirs.push({
            sec: h.timestampSeconds!,
            usec: h.timestampMicroseconds!,
            caplen: h.capturedLength!,
            len: h.originalLength!,
            data: pkt.data.toString("hex"),
          });
        });
        p.on("end", resolve);
        p.on("error", reject);
      });
      const reader = new PcapReader();
      reader.feed(readFileSync(join(DIR, m.file)));
      reader.finish();
      const ours: typeof theirs = [];
      const f = newFrame();
      while (reader.next(f)) {
        ours.push({
          sec: f.sec,
          usec: f.nsec / 1000,
          caplen: f.caplen,
          len: f.origLen,
          data: Buffer.from(f.data.subarray(f.offset, f.offset + f.caplen)).toString("hex"),
        });
      }
      expect(ours.length).toBe(m.packets);
      expect(ours).toEqual(theirs);
    });
  }
});
