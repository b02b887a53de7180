/**
 * Real captures of TCP inside tunnels and PPP (test/fixtures/tunnels/README.md says where each
 * comes from): every TCP segment decoded as tshark decodes it, the VXLAN pairs made by the kernel
 * (the same transfer on the underlay and on the tunnel device) giving the same segments and the
 * same report, and what is not decoded (MPLS) named instead of passed off as "not TCP".
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import { PcapReader } from "../src/capture/pcap.js";
import type { ConnectionSummary } from "../src/connections/summary.js";
import { TcpSegment } from "../src/decode/segment.js";
import { FrameSegmentSource } from "../src/decode/segment-source.js";
import { BIN, ROOT } from "./helpers/bin.js";
import { requireTools } from "./helpers/tools.js";

const DIR = join(ROOT, "test/fixtures/tunnels");

interface Seg {
  frame: number;
  ports: [number, number];
  seq: number;
  ack: number | null;
  flags: number;
  window: number;
  length: number;
  wscale: number | null;
  mss: number | null;
}

/** Every TCP segment of a capture as this tool decodes it, and what it skipped. */
function ours(file: string): { segments: Seg[]; skipped: Record<string, number>; warnings: string[] } {
  const source = new FrameSegmentSource(new PcapReader());
  source.feed(new Uint8Array(readFileSync(join(DIR, file))));
  source.finish();
  const seg = new TcpSegment();
  const segments: Seg[] = [];
  while (source.next(seg)) {
    segments.push({
      frame: seg.frame,
      ports: [seg.srcPort, seg.dstPort],
      seq: seg.seq,
      ack: seg.flags & 0x10 ? seg.ack : null,
      flags: seg.flags,
      window: seg.window,
      length: seg.payloadLength,
      wscale: seg.wscale < 0 ? null : seg.wscale,
      mss: seg.mss < 0 ? null : seg.mss,
    });
  }
  return { segments, skipped: source.skipped(), warnings: source.warnings.map((w) => w.message) };
}

/** The same fields from tshark, for the innermost TCP header of each frame. */
function tshark(file: string, decodeAs: string[] = []): Seg[] {
  const fields = [
    "frame.number",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.len",
    "tcp.options.wscale.shift",
    "tcp.options.mss_val",
  ];
  const out = execFileSync(
    "tshark",
    [
      "-r",
      join(DIR, file),
      ...decodeAs.flatMap((d) => ["-d", d]),
      "-Y",
      "tcp",
      "-T",
      "fields",
      "-E",
      "occurrence=l",
      ...fields.flatMap((f) => ["-e", f]),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  return out
    .trim()
    .split("\n")
    .map((line) => {
      const [frame, sport, dport, seq, ack, flags, window, len, wscale, mss] = line.split("\t");
      const f = Number.parseInt(flags!, 16);
      return {
        frame: Number(frame),
        ports: [Number(sport), Number(dport)] as [number, number],
        seq: Number(seq),
        ack: f & 0x10 ? Number(ack) : null,
        flags: f,
        window: Number(window),
        length: Number(len),
        wscale: wscale ? Number(wscale) : null,
        mss: mss ? Number(mss) : null,
      };
    });
}

/**
 * Each direction's segments in order, without frame numbers: two capture points see the same
 * segments, but interleave the two directions differently.
 */
function byDirection(segments: Seg[]): Record<string, Omit<Seg, "frame">[]> {
  const out: Record<string, Omit<Seg, "frame">[]> = {};
  for (const { frame: _, ...rest } of segments) (out[rest.ports.join(">")] ??= []).push(rest);
  return out;
}

requireTools(["tshark"]).describe("real tunnel captures: every TCP segment as tshark decodes it", () => {
  const cases: [string, string[], Record<string, number>][] = [
    ["vxlan.underlay.pcap", [], {}],
    ["vxlan-8472.underlay.pcap", ["udp.port==8472,vxlan"], {}],
    ["vxlan6.underlay.pcap", [], {}],
    ["geneve-ssh.tcpdump.pcap", [], { "not TCP": 6 }],
    ["6in4-http-tls.ndpi.pcap", [], { "not TCP": 2 }],
    ["ppp-cisco-hdlc-bgp.ndpi.pcap", [], {}],
  ];
  for (const [file, decodeAs, skipped] of cases) {
    it(`${file}: the same segments, frame by frame; the rest skipped for what it is`, () => {
      const r = ours(file);
      const expected = tshark(file, decodeAs);
      expect(expected.length).toBeGreaterThan(0);
      expect(r.segments).toEqual(expected);
      expect(r.skipped).toEqual(skipped);
      expect(r.warnings).toEqual([]);
    });
  }

  it("BGP inside MPLS over PPP: tshark sees TCP we do not open, so it is named as MPLS, not 'not TCP'", () => {
    const r = ours("ppp-mpls-bgp.tcpdump.pcap");
    const tcp = tshark("ppp-mpls-bgp.tcpdump.pcap");
    expect(tcp.map((s) => s.frame)).toEqual([1, 4, 5]);
    expect(r.segments).toEqual([]);
    expect(r.skipped).toEqual({ "not decoded: MPLS (PPP protocol 0x0281)": 8, "not TCP": 5 });
    expect(r.warnings).toEqual(["frame 1 and every one like it skipped: MPLS (PPP protocol 0x0281) is not decoded"]);
  });
});

/** What a connection's report says that depends on each direction's segments only, not on their interleaving. */
function endpoints(c: ConnectionSummary) {
  const side = (e: ConnectionSummary["client"]) => ({
    ip: e.ip,
    port: e.port,
    wscaleOffered: e.wscaleOffered,
    shift: e.shift,
    maxWindow: e.maxWindow,
    maxWindowRaw: e.maxWindowRaw,
    dataBytes: e.dataBytes,
    largestSegment: e.largestSegment,
  });
  return { handshake: c.handshake, scaling: c.scaling, client: side(c.client), server: side(c.server) };
}

describe("a transfer through a kernel VXLAN tunnel: the underlay and the tunnel device tell the same story", () => {
  for (const kind of ["vxlan", "vxlan-8472", "vxlan6"]) {
    it(`${kind}: the same segments in the same order each way, and the same report`, async () => {
      const under = ours(`${kind}.underlay.pcap`);
      const over = ours(`${kind}.overlay.pcap`);
      expect(under.segments.length).toBe(30);
      expect(byDirection(under.segments)).toEqual(byDirection(over.segments));
      const [a, b] = await Promise.all(
        [`${kind}.underlay.pcap`, `${kind}.overlay.pcap`].map((f) => analyze([join(DIR, f)], { idleTimeout: 300 })),
      );
      // The two capture points see each direction's segments alike but interleave them (and time
      // them) a little differently: what depends only on each direction's segments must agree.
      expect(a!.connections.map(endpoints)).toEqual(b!.connections.map(endpoints));
      expect(a!.findings.map((f) => f.id)).toEqual(b!.findings.map((f) => f.id));
      const c = a!.connections[0]!;
      expect([c.client.ip, c.server.ip, c.server.port, c.handshake, c.scaling]).toEqual([
        "198.19.10.1",
        "198.19.10.2",
        80,
        "complete",
        "on",
      ]);
    });
  }
});

describe("the CLI names what was skipped, per input, in the report model and on stderr", () => {
  it("analyze of MPLS over PPP: inputs[].skipped and inputs[].warnings in JSON, the warning on stderr, exit 0", () => {
    const path = join(DIR, "ppp-mpls-bgp.tcpdump.pcap");
    const r = spawnSync(process.execPath, [BIN, "analyze", path, "--format", "json"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const input = JSON.parse(r.stdout).inputs[0];
    expect([input.linkTypes, input.packets, input.tcpSegments]).toEqual([[9], 13, 0]);
    expect(input.skipped).toEqual({ "not TCP": 5, "not decoded: MPLS (PPP protocol 0x0281)": 8 });
    const warning = "frame 1 and every one like it skipped: MPLS (PPP protocol 0x0281) is not decoded";
    expect(input.warnings).toEqual([{ offset: 24, message: warning }]);
    expect(r.stderr).toBe(`wscale: warning: ${path}: byte 24: ${warning}\n`);
  });
});
