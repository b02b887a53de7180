/** Rules that the lab cannot provoke on this kernel, on hand-built segment sequences. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import type { Connection } from "../src/connections/connection.js";
import { summarize } from "../src/connections/summary.js";
import { ConnectionTracker } from "../src/connections/tracker.js";
import { evaluateFindings } from "../src/findings/evaluate.js";
import type { Finding } from "../src/findings/finding.js";
import { makeSegment, type SegmentSpec } from "./helpers/segments.js";
import { requireTools } from "./helpers/tools.js";

const C = "198.18.1.2:40000";
const S = "198.18.2.2:443";

function findings(specs: SegmentSpec[]): Finding[] {
  let conn: Connection | undefined;
  const tracker = new ConnectionTracker({ idleTimeout: 300, onFinal: (c) => (conn = c) });
  for (const s of specs) tracker.segment(makeSegment(s));
  tracker.flush();
  return evaluateFindings(conn!, summarize(conn!));
}

function handshake(clientShift: number, serverShift: number): SegmentSpec[] {
  return [
    { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: clientShift, mss: 1460, sackOK: true, time: 0 },
    {
      from: S,
      to: C,
      flags: "S.",
      seq: 5000,
      ack: 1001,
      win: 65160,
      wscale: serverShift,
      mss: 1460,
      sackOK: true,
      time: 0.03,
    },
  ];
}

describe("window-enforcing-middlebox", () => {
  it("segments beyond ack + raw window keep being retransmitted: a firewall tracks windows without the scale", () => {
    const specs = handshake(7, 7);
    // The client's raw window 100 means 12800 bytes; a box that ignores the scale drops past 100.
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 100, time: 0.06 });
    specs.push({ from: S, to: C, flags: ".", seq: 5001, ack: 1001, win: 509, len: 100, time: 0.1 });
    specs.push({ from: S, to: C, flags: ".", seq: 5101, ack: 1001, win: 509, len: 1000, time: 0.101 });
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 5101, win: 100, time: 0.13 });
    // The 1000 bytes past the raw edge (100) but well inside the scaled window (12800) never get
    // through: sent again and again, never acknowledged.
    for (let i = 1; i <= 6; i++)
      specs.push({ from: S, to: C, flags: ".", seq: 5101, ack: 1001, win: 509, len: 1000, time: 0.101 + 0.2 * 2 ** i });
    const f = findings(specs).find((x) => x.id === "window-enforcing-middlebox");
    expect(f).toMatchObject({ severity: "error", confidence: "possible", direction: "server-to-client" });
    expect(f!.message).toMatch(/^6 of the server 198\.18\.2\.2:443's 6 retransmissions were of data beyond/);
    expect(f!.advice[0]!.command).toBe("sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=1");
  });
});

describe("scale-too-small and window-limited", () => {
  it("a receiver pinned at 65535 << 0 while the sender waits on it every round trip", () => {
    const specs = handshake(0, 7);
    let seq = 5001;
    let t = 0.1;
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win: 65535, time: 0.06 });
    for (let round = 0; round < 10; round++) {
      // 45 segments of 1456 bytes = 65520 bytes: the whole 64 KiB window, then wait for the ACK.
      for (let i = 0; i < 45; i++) {
        specs.push({ from: S, to: C, flags: ".", seq, ack: 1001, win: 509, len: 1456, time: (t += 0.0001) });
        seq += 1456;
      }
      specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win: 65535, time: (t += 0.03) });
    }
    const got = findings(specs);
    expect(got.map((f) => `${f.id} ${f.severity}`)).toEqual(["scale-too-small warn", "window-limited info"]);
    expect(got[0]!.message).toContain("65535 << 0 = 65535 bytes (64 KiB)");
  });

  it("a sender far below the window raises nothing", () => {
    const specs = handshake(7, 7);
    let seq = 5001;
    let t = 0.1;
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win: 4000, time: 0.06 });
    for (let i = 0; i < 100; i++) {
      specs.push({ from: S, to: C, flags: ".", seq, ack: 1001, win: 509, len: 1448, time: (t += 0.01) });
      seq += 1448;
      specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win: 4000, time: (t += 0.001) });
    }
    expect(findings(specs)).toEqual([]);
  });
});

describe("a capture cut mid-stream (editcap)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "wscale-mid-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  requireTools(["editcap"]).it(
    "shift unknown, never a raw window shown as the real one; the inferred shift is a lower bound",
    async () => {
      const cut = join(tmp, "mid.pcap");
      execFileSync("editcap", ["-r", join(import.meta.dirname, "../captures/healthy.client.pcap"), cut, "4-1397"]);
      const r = await analyze([cut], { idleTimeout: 300 });
      const c = r.connections[0]!;
      expect(c).toMatchObject({ handshake: "none", rolesGuessed: true, scaling: "unknown" });
      expect(c.server.port).toBe(80);
      expect(c.client).toMatchObject({ wscaleOffered: "unknown", shift: null, maxWindow: null, maxWindowRaw: 1742 });
      const f = r.findings.find((x) => x.id === "scale-unknown" && x.message.startsWith("The client"))!;
      // True shift 10; 10136 bytes in flight against a raw window of 273 prove at least 6.
      expect(f.message).toContain("so the shift is at least 6 (inferred)");
    },
  );
});
