/** Rules that the lab cannot provoke on this kernel, on hand-built segment sequences. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import type { Connection } from "../src/connections/connection.js";
import { summarize } from "../src/connections/summary.js";
import { ConnectionTracker } from "../src/connections/tracker.js";
import { evaluateFindings } from "../src/findings/evaluate.js";
import type { Finding } from "../src/findings/finding.js";
import { slice } from "./helpers/derive.js";
import { boxedDownload, C, handshake, S } from "./helpers/downloads.js";
import { makeSegment, type SegmentSpec } from "./helpers/segments.js";
import { requireTools } from "./helpers/tools.js";

function findings(specs: SegmentSpec[]): Finding[] {
  let conn: Connection | undefined;
  const tracker = new ConnectionTracker({ idleTimeout: 300, onFinal: (c) => (conn = c) });
  for (const s of specs) tracker.segment(makeSegment(s));
  tracker.flush();
  return evaluateFindings(conn!, summarize(conn!));
}

describe("window-enforcing-middlebox", () => {
  it("a firewall that enforces the unscaled window: every loss starts at the old ack + raw window, nothing beyond gets through", () => {
    const f = findings(boxedDownload(12)).find((x) => x.id === "window-enforcing-middlebox");
    expect(f).toMatchObject({ severity: "error", confidence: "likely", direction: "server-to-client" });
    expect(f!.message).toMatch(
      /^11 of the server 198\.18\.2\.2:443's 11 loss episodes began within one segment of the client's unscaled window edge/,
    );
    expect(f!.advice[0]!.command).toBe("sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=1");
  });

  it("one segment beyond the unscaled edge delivered on its first transmission clears the firewall", () => {
    const got = findings(boxedDownload(12, 6)).map((x) => x.id);
    expect(got).not.toContain("window-enforcing-middlebox");
  });

  it("boundary: two loss episodes at the edge are not enough, three are", () => {
    const ids = (rounds: number) => findings(boxedDownload(rounds)).map((x) => x.id);
    // n rounds give n - 1 retransmission episodes.
    expect(ids(3)).not.toContain("window-enforcing-middlebox");
    const f = findings(boxedDownload(4)).find((x) => x.id === "window-enforcing-middlebox");
    expect(f).toMatchObject({ confidence: "possible" });
    expect(f!.message).toMatch(/^3 of the server 198\.18\.2\.2:443's 3 loss episodes/);
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

  // The same captures with their first three records (the handshake) removed: each side's inference
  // against the shift the handshake carried (10 for the client; the server, which only ACKs, shows none).
  // At the server's end the largest flight is seen whole and the bound reaches the real shift; at the
  // client's, the flight it sees is smaller (ACKs leave before the data they open arrives).
  it.each([
    ["healthy.client.pcap", false],
    ["healthy.server.pcap", true],
  ] as const)("%s without its handshake: both inferences (the real shift reached: %s)", async (file, reachesTruth) => {
    const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, "../captures", file)));
    const path = join(tmp, `nohs-${file}`);
    writeFileSync(path, slice(bytes, 3));
    const [full, mid] = await Promise.all([
      analyze([join(import.meta.dirname, "../captures", file)], { idleTimeout: 300 }),
      analyze([path], { idleTimeout: 300 }),
    ]);
    const truth = full.connections[0]!;
    const c = mid.connections[0]!;
    // What the handshake does not change: the flight, the raw windows.
    expect([c.server.maxInFlight, c.client.maxWindowRaw]).toEqual([
      truth.server.maxInFlight,
      truth.client.maxWindowRaw,
    ]);
    expect(mid.findings.map((f) => [f.id, f.severity, f.confidence])).toEqual([
      ["scale-unknown", "info", "likely"],
      ["scale-unknown", "info", "possible"],
    ]);
    const [client, server] = mid.findings;
    const m = /so the shift is at least (\d+) \(inferred\): windows of at least (\d+) bytes/.exec(client!.message)!;
    const k = Number(m[1]);
    const raw = truth.client.maxWindowRaw!;
    // A lower bound: never above the real shift, never below what the largest flight against the largest raw window needs.
    expect(k).toBeLessThanOrEqual(truth.client.shift!);
    expect(k).toBeGreaterThanOrEqual(Math.ceil(Math.log2(truth.server.maxInFlight / raw)));
    expect(Number(m[2])).toBe(raw * 2 ** k);
    expect(client!.message).toContain(`The server had up to ${truth.server.maxInFlight} bytes`);
    expect(k === truth.client.shift).toBe(reachesTruth);
    expect(server!.message).toMatch(
      /^The server 198\.18\.2\.2:80's window-scale shift is unknown \(no handshake was captured; client and server are guessed from the ports\); its raw windows \(up to 64\) are not its real window\. Nothing sent towards it shows the shift; capture the handshake to know it\.$/,
    );
  });
});

describe("ordinary stacks are ordinary", () => {
  it("a Windows 7 client (SYN window 8192, then 4380 << 2, falling by 56 >> 2 when 56 bytes arrive) is not accused", () => {
    const W = "198.18.1.7:49200";
    const specs: SegmentSpec[] = [
      { from: W, to: S, flags: "S", seq: 100, win: 8192, wscale: 2, mss: 1460, sackOK: true, time: 0, ttl: 128 },
      { from: S, to: W, flags: "S.", seq: 9000, ack: 101, win: 65160, wscale: 7, mss: 1460, sackOK: true, time: 0.03 },
      { from: W, to: S, flags: ".", seq: 101, ack: 9001, win: 4380, time: 0.031, ttl: 128 },
      { from: W, to: S, flags: "P.", seq: 101, ack: 9001, win: 4380, len: 120, time: 0.032, ttl: 128 },
    ];
    let seq = 9001;
    let t = 0.06;
    let win = 4380;
    for (let i = 0; i < 12; i++) {
      specs.push({ from: S, to: W, flags: "P.", seq, ack: 221, win: 502, len: 56, time: (t += 0.03) });
      seq += 56;
      win -= 14; // the application has not read yet: the right edge stays put under shift 2
      specs.push({ from: W, to: S, flags: ".", seq: 221, ack: seq, win, time: (t += 0.001), ttl: 128 });
    }
    const got = findings(specs).filter((f) => f.severity !== "info");
    expect(got).toEqual([]);
  });

  it("a macOS client whose window falls by half the data (the application reads half) is not 'rewritten' to a larger shift", () => {
    const M = "198.18.1.8:53217";
    const specs: SegmentSpec[] = [
      { from: M, to: S, flags: "S", seq: 100, win: 65535, wscale: 5, mss: 1460, sackOK: true, ts: [1, 0], time: 0 },
      {
        from: S,
        to: M,
        flags: "S.",
        seq: 9000,
        ack: 101,
        win: 65160,
        wscale: 9,
        mss: 1460,
        sackOK: true,
        ts: [7, 1],
        time: 0.03,
      },
      { from: M, to: S, flags: ".", seq: 101, ack: 9001, win: 4117, time: 0.031 },
    ];
    let seq = 9001;
    let t = 0.04;
    let win = 4117;
    for (let i = 0; i < 40; i++) {
      specs.push({ from: S, to: M, flags: ".", seq, ack: 101, win: 128, len: 1448, time: (t += 0.0005) });
      specs.push({ from: S, to: M, flags: ".", seq: seq + 1448, ack: 101, win: 128, len: 1448, time: (t += 0.0005) });
      seq += 2896;
      win -= 2896 >> 6; // falls by acked >> 6 although its shift is 5: half the data was read meanwhile
      specs.push({ from: M, to: S, flags: ".", seq: 101, ack: seq, win, time: (t += 0.02) });
    }
    expect(findings(specs).map((f) => f.id)).not.toContain("scale-rewritten");
  });

  it("a client that does not scale (its window falls by what arrives) although both SYNs carried wscale: scale-asymmetric", () => {
    const N = "198.18.1.9:40001";
    const specs: SegmentSpec[] = [
      { from: N, to: S, flags: "S", seq: 100, win: 64240, wscale: 7, mss: 1460, sackOK: true, time: 0 },
      { from: S, to: N, flags: "S.", seq: 9000, ack: 101, win: 65160, wscale: 7, mss: 1460, sackOK: true, time: 0.03 },
      { from: N, to: S, flags: ".", seq: 101, ack: 9001, win: 60000, time: 0.031 },
    ];
    let seq = 9001;
    let t = 0.04;
    let win = 60000;
    for (let i = 0; i < 3; i++) {
      specs.push({ from: S, to: N, flags: ".", seq, ack: 101, win: 509, len: 1448, time: (t += 0.0005) });
      seq += 1448;
      win -= 1448;
      specs.push({ from: N, to: S, flags: ".", seq: 101, ack: seq, win, time: (t += 0.02) });
    }
    const f = findings(specs).find((x) => x.id === "scale-asymmetric");
    expect(f).toMatchObject({ severity: "error", confidence: "likely", direction: "server-to-client" });
    expect(f!.message).toContain(
      "its window fell by exactly the bytes that arrived 3 times, which under shift 7 would move its right edge left: it does not scale",
    );
    expect(f!.readAs).toEqual([
      { side: "server", applied: 7, readWith: 0 },
      { side: "client", applied: 0, readWith: 7 },
    ]);
  });
});

describe("wscale-bad-length", () => {
  // A client whose window-scale option has a wrong length; the server, like Linux, ignores it and answers without one.
  const badSyn = (layout: string): SegmentSpec[] => [
    { from: C, to: S, flags: "S", seq: 1000, win: 64240, mss: 1460, wscale: 7, ts: [1, 0], layout, time: 0, frame: 1 },
    {
      from: S,
      to: C,
      flags: "S.",
      seq: 5000,
      ack: 1001,
      win: 65160,
      mss: 1460,
      ts: [9, 1],
      layout: "mss,sok,ts",
      time: 0.02,
    },
    { from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 64240, time: 0.04 },
  ];

  it.each([
    ["mss,sok,ts,ws4", 4],
    ["mss,sok,ts,nop,nop,ws2", 2],
  ])(
    "%s: warn, certain, length %i, on the SYN; not a server that declined or a box that stripped",
    (layout, length) => {
      const got = findings(badSyn(layout));
      expect(got.map((f) => [f.id, f.severity, f.confidence])).toEqual([["wscale-bad-length", "warn", "certain"]]);
      expect(got[0]!.message).toBe(
        `The client 198.18.1.2:40000 sent a window-scale option of length ${length} (must be 3); receivers such as Linux ignore it, so scaling is treated as not offered.`,
      );
      expect(got[0]!.evidence).toEqual([{ frame: 1, note: `wscale option with length ${length}` }]);
    },
  );

  it("a well-formed option of length 3 is not reported", () => {
    expect(findings(badSyn("mss,sok,ts,nop,ws")).map((f) => f.id)).not.toContain("wscale-bad-length");
  });
});

describe("syn-cookies: what the SYN-ACK alone can and cannot say", () => {
  // A Windows client (no timestamps) and a SYN-ACK with an MSS and nothing else.
  const cookie = (serverTtl: number, clientPort = 40000): SegmentSpec[] => {
    const c = `198.18.1.2:${clientPort}`;
    return [
      {
        from: c,
        to: S,
        flags: "S",
        seq: 1000,
        win: 64240,
        mss: 1460,
        wscale: 8,
        layout: "mss,nop,ws,nop,nop,sok",
        time: 0,
      },
      {
        from: S,
        to: c,
        flags: "S.",
        seq: 5000,
        ack: 1001,
        win: 65535,
        mss: 1460,
        layout: "mss",
        ttl: serverTtl,
        time: 0.02,
      },
      { from: c, to: S, flags: ".", seq: 1001, ack: 5001, win: 1026, time: 0.04 },
    ];
  };
  /** Every connection's findings, with the server profiles the tracker kept across them. */
  const all = (specs: SegmentSpec[]) => {
    const conns: Connection[] = [];
    const out: Finding[][] = [];
    const tracker: ConnectionTracker = new ConnectionTracker({
      idleTimeout: 300,
      onFinal: (c) => {
        conns.push(c);
        out.push(evaluateFindings(c, summarize(c), tracker.servers));
      },
    });
    for (const s of specs) tracker.segment(makeSegment(s));
    tracker.flush();
    return out.map((fs) => fs.filter((f) => f.id === "syn-cookies").map((f) => [f.severity, f.confidence]));
  };

  it("a server at TTL 33 to 64 (Linux starts at 64) without client timestamps: possible, a note", () => {
    expect([32, 33, 64, 65].map((ttl) => all(cookie(ttl))[0])).toEqual([
      [],
      [["info", "possible"]],
      [["info", "possible"]],
      [],
    ]);
  });

  it("the same server offered wscale on another connection of the capture: likely, a warning", () => {
    const other: SegmentSpec[] = [
      {
        from: "198.18.1.2:40001",
        to: S,
        flags: "S",
        seq: 1,
        win: 64240,
        wscale: 8,
        layout: "mss,nop,ws,nop,nop,sok",
        time: 0,
      },
      {
        from: S,
        to: "198.18.1.2:40001",
        flags: "S.",
        seq: 7,
        ack: 2,
        win: 64240,
        wscale: 7,
        layout: "mss,nop,nop,sok,nop,ws",
        ttl: 200,
        time: 0.01,
      },
    ];
    // TTL 200: only the other SYN-ACK can make it a cookie.
    expect(all([...other, ...cookie(200)])).toEqual([[], [["warn", "likely"]]]);
    expect(all(cookie(200))).toEqual([[]]);
  });
});

describe("scale-stripped: the proof it rests on, at the client's end of the strip-synack lab run", () => {
  // The router's nft `reset tcp option window` overwrote the server's wscale with NOPs (frame 2);
  // the server's first window after the handshake (frame 4) is 64: a shift of about 10.
  it("certain only with both proofs, each named with its frame", async () => {
    const r = await analyze([join(import.meta.dirname, "../captures/strip-synack.client.pcap")], { idleTimeout: 300 });
    const f = r.findings.find((x) => x.id === "scale-stripped")!;
    expect([f.severity, f.confidence]).toEqual(["warn", "certain"]);
    expect(f.evidence).toEqual([
      { frame: 1, note: "client offers wscale 10" },
      { frame: 2, note: "SYN-ACK without wscale, but with SACK-permitted and timestamps" },
      {
        frame: 4,
        note: "first window after the handshake: raw 64, 64 bytes with shift 0, after 65160 in its SYN-ACK: the server scales by about 10",
      },
      { frame: 2, note: "4 NOPs in a row in the SYN-ACK, exactly where Linux 2.6-6.x puts wscale" },
    ]);
    expect(f.message).toContain("a box between the server and this capture point stripped it");
  });
});
