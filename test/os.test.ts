/**
 * OS inference (src/connections/os.ts) on real SYNs: the kernel's own (captures/, Linux 6.18) and other stacks'
 * from public captures (test/stacks/README.md), with the exact family, confidence and evidence each must yield.
 */
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import type { EndpointSummary } from "../src/connections/summary.js";

const STACKS = join(import.meta.dirname, "stacks");
const CAPTURES = join(import.meta.dirname, "..", "captures");

async function endpoints(path: string): Promise<{ client: EndpointSummary; server: EndpointSummary }> {
  const report = await analyze([path], { idleTimeout: 300 });
  expect(report.connections).toHaveLength(1);
  return report.connections[0]!;
}

type Os = NonNullable<EndpointSummary["os"]>;

interface Case {
  file: string;
  client: [Os["family"], Os["confidence"]];
  server: [Os["family"], Os["confidence"]];
  /** Substrings the evidence must contain: the numbers an engineer would check by hand. */
  clientEvidence?: string[];
  serverEvidence?: string[];
}

const PUBLIC: Case[] = [
  {
    file: "windows-7.pcap",
    client: ["windows", "likely"],
    clientEvidence: ["SYN TTL 128", "mss,nop,ws,nop,nop,sok", "window 8192"],
    // Google answers without timestamps: a layout Linux and OpenBSD share; the window (30 x MSS 1430) is Linux's.
    server: ["linux", "likely"],
    serverEvidence: ["TTL 53: initial TTL 64, 11 hops away", "window 42900 = 30 x MSS 1430"],
  },
  {
    file: "windows-10.pcap",
    client: ["windows", "likely"],
    clientEvidence: ["window 64240"],
    server: ["linux", "likely"],
    serverEvidence: ["window 64240 = 44 x MSS 1460"],
  },
  {
    file: "windows-synack.pcap",
    client: ["windows", "likely"],
    clientEvidence: ["TTL 116: initial TTL 128, 12 hops away"],
    server: ["windows", "likely"],
    serverEvidence: ["SYN-ACK TTL 128"],
  },
  { file: "windows-xp.pcap", client: ["windows", "likely"], server: ["windows", "likely"] },
  {
    file: "windows-xp-ts.pcap",
    client: ["macos", "likely"],
    server: ["windows", "likely"],
    serverEvidence: ["mss,nop,ws,nop,nop,ts,nop,nop,sok", "14 hops"],
  },
  {
    file: "windows-ts-synack.pcap",
    client: ["macos", "likely"],
    // The same layout as FreeBSD's; the TTL (108, from 128) says Windows.
    server: ["windows", "likely"],
    serverEvidence: ["initial TTL 128, 20 hops away", "mss,nop,ws,sok,ts"],
  },
  {
    file: "ios.pcap",
    client: ["macos", "likely"],
    clientEvidence: ["mss,nop,ws,nop,nop,ts,sok,eol", "window 65535"],
    server: ["linux", "likely"],
  },
  { file: "macos-loopback.pcap", client: ["macos", "likely"], server: ["macos", "likely"] },
  {
    file: "macos-no-rfc1323.pcap",
    client: ["macos", "likely"],
    clientEvidence: ["mss,sok,eol"],
    server: ["unknown", "none"],
    serverEvidence: ["no SYN or SYN-ACK from this side was captured"],
  },
  {
    file: "freebsd-nintendo.pcap",
    client: ["freebsd", "likely"],
    clientEvidence: ["mss,nop,ws,sok,ts", "window 32768"],
    // CloudFront's SYN-ACK: Linux's layout from a box that starts at TTL 255.
    server: ["unknown", "none"],
    serverEvidence: ["TTL 245: initial TTL 255, 10 hops away", "a box on the path"],
  },
  {
    file: "freebsd-netflix.pcap",
    client: ["macos", "likely"],
    server: ["freebsd", "likely"],
    serverEvidence: ["TTL 59: initial TTL 64, 5 hops away", "window 65535"],
  },
  {
    file: "netbsd-s4810.pcap",
    client: ["netbsd", "likely"],
    clientEvidence: ["mss,nop,ws,sok,nop,nop,nop,nop,ts", "window 32768"],
    server: ["linux", "likely"],
    serverEvidence: ["window 14480 = 10 x (MSS 1460 - 12)"],
  },
];

const KERNEL: Case[] = [
  {
    file: "healthy.client.pcap",
    client: ["linux", "likely"],
    clientEvidence: [
      "SYN TTL 64: initial, no router before the capture point",
      "mss,sok,ts,nop,ws",
      "window 64240 = 44 x MSS 1460",
    ],
    server: ["linux", "likely"],
    serverEvidence: ["SYN-ACK TTL 63: initial TTL 64, 1 hop away", "window 65160 = 45 x (MSS 1460 - 12)"],
  },
  { file: "healthy.server.pcap", client: ["linux", "likely"], server: ["linux", "likely"] },
  {
    // The router overwrote the SYN's window-scale option with NOPs: still Linux, read with the option put back.
    file: "strip-syn.server.pcap",
    client: ["linux", "possible"],
    clientEvidence: ["NOPs where a window-scale option stood", "mss,sok,ts,nop,ws"],
    server: ["linux", "likely"],
  },
  {
    file: "strip-synack.client.pcap",
    client: ["linux", "likely"],
    server: ["linux", "possible"],
    serverEvidence: ["NOPs where a window-scale option stood"],
  },
  {
    file: "server-noscale.client.pcap",
    client: ["linux", "likely"],
    // mss,sok,ts is Linux's and FreeBSD's; 65160 = 45 x 1448 is Linux's window, not FreeBSD's 65535.
    server: ["linux", "likely"],
    serverEvidence: ["mss,sok,ts", "window 65160"],
  },
  {
    file: "ipv6-strip-syn.server.pcap",
    client: ["linux", "possible"],
    clientEvidence: ["window 64800 = 45 x MSS 1440"],
    server: ["linux", "likely"],
  },
];

function check(dir: string, cases: Case[]): void {
  for (const c of cases) {
    it(`${c.file}: client ${c.client.join(" ")}, server ${c.server.join(" ")}`, async () => {
      const e = await endpoints(join(dir, c.file));
      expect([e.client.os!.family, e.client.os!.confidence]).toEqual(c.client);
      expect([e.server.os!.family, e.server.os!.confidence]).toEqual(c.server);
      const text = (os: Os) => os.evidence.join("\n");
      for (const s of c.clientEvidence ?? []) expect(text(e.client.os!)).toContain(s);
      for (const s of c.serverEvidence ?? []) expect(text(e.server.os!)).toContain(s);
    });
  }
}

describe("OS of real stacks from public captures", () => check(STACKS, PUBLIC));
describe("OS of the kernel's own SYNs (Linux 6.18)", () => check(CAPTURES, KERNEL));

describe("without a TTL (tcpdump text without -v)", () => {
  it("the seed transcript: Linux both ends (a layout only Linux sends; 5840 = 4 x MSS), possible without the TTL", async () => {
    const path = join(tmpdir(), `wscale-os-seed-${process.pid}.txt`);
    writeFileSync(
      path,
      [
        "1.2.3.4.42501 > 203.16.234.85.80: S 0:0 win 5840 <mss 1460,sackOK,timestamp 94318 0,nop,wscale 6> (DF)",
        "203.16.234.85.80 > 1.2.3.4.42501: S 0:0(0) ack 1 win 5840<mss 1460,nop,wscale 2> (DF)",
        "1.2.3.4.42501 > 203.16.234.85.80: . ack 1 win 92 (DF)",
        "",
      ].join("\n"),
    );
    const e = await endpoints(path).finally(() => rmSync(path, { force: true }));
    // Only Linux sends mss,sok,ts,nop,ws, but without the TTL it stays "possible".
    expect(e.client.os).toMatchObject({ family: "linux", confidence: "possible" });
    // mss,nop,ws is sent by Linux, Windows, macOS, FreeBSD, OpenBSD and Solaris; the window is Linux 2.4/2.6's.
    expect(e.server.os).toMatchObject({ family: "linux", confidence: "possible" });
    expect(e.server.os!.evidence.join("\n")).toContain("window 5840 = 4 x MSS 1460: typical of Linux");
  });
});
