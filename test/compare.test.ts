/**
 * `wscale compare`: two vantage points of the same traffic. Every pair of real captures in
 * captures/ (client side and server side of one connection), in both orders, plus crafted pairs
 * for what the lab cannot make (ISN rewriting, proxies, removed and added options).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Chalk } from "chalk";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { ArgumentsCamelCase } from "yargs";
import { type CompareArgs, compareCommand, renderCompare } from "../src/cli/commands/compare.js";
import { STDIN_TOKEN } from "../src/cli/stdin-arg.js";
import { compareCaptures } from "../src/compare/compare.js";
import type { CompareReport } from "../src/compare/types.js";
import {
  ACK,
  ethernet,
  ipv4,
  linuxSynOptions,
  opt,
  type PcapRecord,
  pcapFile,
  SYN,
  tcp,
} from "./helpers/capture-builder.js";

const ROOT = join(import.meta.dirname, "..");
const CAP = (name: string) => join(ROOT, "captures", name);
const tmp = mkdtempSync(join(tmpdir(), "wscale-compare-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const manifest = JSON.parse(readFileSync(CAP("manifest.json"), "utf8")) as {
  files: { file: string; connections: { syn: { frame: number }; synAck: { frame: number } }[] }[];
};
const synFrame = (file: string) => manifest.files.find((f) => f.file === file)!.connections[0]!.syn.frame;
const synAckFrame = (file: string) => manifest.files.find((f) => f.file === file)!.connections[0]!.synAck.frame;

const cache = new Map<string, Promise<CompareReport>>();
function compare(a: string, b: string): Promise<CompareReport> {
  const key = `${a}\n${b}`;
  let r = cache.get(key);
  if (!r) {
    r = compareCaptures(a, b, { idleTimeout: 300 });
    cache.set(key, r);
  }
  return r;
}

const pathFindings = (r: CompareReport) => r.findings.filter((f) => f.input === undefined);
/** What must not depend on the order of the files: id, direction, severity and the change itself. */
const verdicts = (r: CompareReport) =>
  pathFindings(r).map((f) => {
    const d = f.diff;
    return `${f.id} ${f.direction} ${f.severity}${d ? ` ${d.packet} ${d.field} ${d.change} ${d.from} -> ${d.to}` : ""}`;
  });

/** Every pair of captures in captures/: client-side file, server-side file, expected path verdicts. */
const PAIRS: [string, string, string[]][] = [
  ["healthy.client.pcap", "healthy.server.pcap", []],
  ["healthy.client.pcap.gz", "healthy.server.pcap", []],
  ["healthy.snap73.client.pcap", "healthy.server.pcap", []],
  [
    "strip-syn.client.pcap",
    "strip-syn.server.pcap",
    ["path-cleared-option client-to-server warn SYN wscale cleared 10 -> null"],
  ],
  [
    "strip-synack.client.pcap",
    "strip-synack.server.pcap",
    ["path-cleared-option server-to-client error SYN-ACK wscale cleared 10 -> null"],
  ],
  [
    "strip-synack-upload.client.pcap",
    "strip-synack-upload.server.pcap",
    ["path-cleared-option server-to-client error SYN-ACK wscale cleared 10 -> null"],
  ],
  [
    "rewrite-syn-0.client.pcap",
    "rewrite-syn-0.server.pcap",
    ["path-rewrote-wscale client-to-server error SYN wscale changed 10 -> 0"],
  ],
  [
    "zero-above-2.client.pcap",
    "zero-above-2.server.pcap",
    ["path-rewrote-wscale client-to-server error SYN wscale changed 10 -> 0"],
  ],
  ["zero-above-2-route-window.client.pcap", "zero-above-2-route-window.server.pcap", []],
  ["server-noscale.client.pcap", "server-noscale.server.pcap", []],
  ["zero-window.client.pcap", "zero-window.server.pcap", []],
  ["zero-window-upload.client.pcap", "zero-window-upload.server.pcap", []],
  [
    "ipv6-strip-syn.client.pcap",
    "ipv6-strip-syn.server.pcap",
    ["path-cleared-option client-to-server warn SYN wscale cleared 10 -> null"],
  ],
  ["healthy-any.client.pcap", "healthy-any.server.pcap", []],
  ["healthy-any-sll2.client.pcap", "healthy-any.server.pcap", []],
  ["healthy-ns.client.pcap", "healthy-ns.server.pcap", []],
  ["healthy-pcapng.client.pcapng", "healthy-pcapng.server.pcapng", []],
  ["vlan.client.pcap", "vlan.server.pcap", []],
  ["vlan-qinq.client.pcap", "vlan-qinq.server.pcap", []],
  // The lab's runs for issue 12: loss, GRO, iperf3, keepalives, port reuse, SYN cookies change nothing on the path.
  ...[
    "healthy-8m",
    "loss-1",
    "loss-3",
    "loss-1-upload",
    "iperf3-download",
    "iperf3-download-loss-1",
    "iperf3-upload",
    "iperf3-upload-loss-1",
    "gro",
    "gro-loss-1",
  ].map((run): [string, string, string[]] => [`${run}.client.pcap.gz`, `${run}.server.pcap.gz`, []]),
  ...["keepalive", "port-reuse", "syn-cookies", "syn-cookies-mix", "syn-cookies-no-ts", "syn-backlog"].map(
    (run): [string, string, string[]] => [`${run}.client.pcap`, `${run}.server.pcap`, []],
  ),
  // A SYN proxy answers the client's SYN itself, then opens its own handshake to the server with the
  // window of the client's ACK (63, not 64240) and translates the server's sequence numbers.
  [
    "synproxy.client.pcap",
    "synproxy.server.pcap",
    [
      "path-rewrote-window client-to-server info SYN window changed 64240 -> 63",
      "path-rewrote-isn server-to-client info SYN-ACK isn changed 906039509 -> 4247201292",
    ],
  ],
];

describe("compare: every pair of real captures, in both orders", () => {
  it("covers every capture file in the manifest", () => {
    const covered = new Set([...PAIRS.map((p) => p[0]), ...PAIRS.map((p) => p[1])]);
    for (const f of manifest.files) expect(covered, f.file).toContain(f.file);
  });

  for (const [client, server, expected] of PAIRS) {
    it(`${client} + ${server}: ${expected.length === 0 ? "no path change" : expected.map((e) => e.split(" ")[0]).join(", ")}`, async () => {
      const fwd = await compare(CAP(client), CAP(server));
      const rev = await compare(CAP(server), CAP(client));
      expect(verdicts(fwd)).toEqual(expected);
      expect(verdicts(rev)).toEqual(expected); // directions and values never flip with the order
      expect(fwd.vantage).toEqual({ a: "client side", b: "server side" });
      expect(rev.vantage).toEqual({ a: "server side", b: "client side" });
      const lab = (r: CompareReport) => r.matches.find((m) => m.by === "4-tuple")!;
      // One router between the vantage points; the SYN proxy on it sends the server a SYN of its own (TTL 64).
      const routerHops = client.startsWith("synproxy.") ? 0 : 1;
      expect(lab(fwd)).toMatchObject({ by: "4-tuple", nat: false, aSide: "client", sideBy: "ttl", routerHops });
      expect(lab(rev)).toMatchObject({ by: "4-tuple", nat: false, aSide: "server", sideBy: "ttl", routerHops });
      expect(lab(fwd).verdict).toBe(expected.length === 0 ? "unchanged" : "changed");
      for (const f of pathFindings(fwd)) {
        expect(f.confidence).toBe("certain");
        expect(f.connection).toBe(fwd.connections[0]!.id);
        // Evidence in both captures: the packet as it passed first and as it arrived.
        expect(new Set(f.evidence.map((e) => e.input))).toEqual(new Set([0, 1]));
      }
    });
  }

  it("strip-syn: the SYN's wscale became NOPs between the client side and the server side; both ends agree scaling is off", async () => {
    const r = await compare(CAP("strip-syn.client.pcap"), CAP("strip-syn.server.pcap"));
    const [f] = pathFindings(r);
    expect(f).toMatchObject({ id: "path-cleared-option", direction: "client-to-server", severity: "warn" });
    expect(f!.message).toContain("left the client side (capture A, ");
    expect(f!.message).toContain("frame 1) with wscale 10 and reached the server side (capture B, ");
    expect(f!.message).toContain("overwritten with NOPs (mss,sackOK,TS,nop,nop,nop,nop)");
    expect(f!.message).toContain("between capture A and capture B");
    expect(f!.message).toContain("client to server");
    expect(f!.message).toContain("The server never saw the offer, so it answered without wscale.");
    expect(f!.message).toContain("Both ends agree that scaling is off: windows are capped at 65535 bytes");
    expect(f!.evidence).toEqual([
      expect.objectContaining({ frame: 1, input: 0, note: expect.stringContaining("wscale 10") }),
      expect.objectContaining({ frame: 1, input: 1, note: expect.stringContaining("nop,nop,nop,nop") }),
    ]);
    expect(f!.advice.map((a) => a.kind)).toEqual(["path"]);
    expect(f!.advice[0]!.command).toContain("overwrites the window-scale option of client SYNs with NOPs");
  });

  it("strip-synack: cleared server to client; the server scales by 10, the client believes 0", async () => {
    const r = await compare(CAP("strip-synack.server.pcap"), CAP("strip-synack.client.pcap"));
    const [f] = pathFindings(r);
    expect(f).toMatchObject({ id: "path-cleared-option", direction: "server-to-client", severity: "error" });
    expect(f!.message).toContain("The server's SYN-ACK left the server side (capture A, ");
    expect(f!.message).toContain("with wscale 10 and reached the client side (capture B, ");
    expect(f!.message).toContain("server to client");
    expect(f!.message).toContain(
      "the server scales its windows by 10, the client believes 0 (it believes scaling is off)",
    );
    expect(f!.message).toContain("the server's raw window of up to 64 means 65536 bytes, the client reads 64 bytes");
    expect(f!.evidence).toEqual([
      expect.objectContaining({ frame: 2, input: 0 }),
      expect.objectContaining({ frame: 2, input: 1 }),
    ]);
    // Both ends back to agreeing: shift 0 on the server (and the client's route for its own offer).
    expect(f!.advice.filter((a) => a.kind === "route").map((a) => a.command)).toEqual([
      "r=$(ip -o route get 198.18.2.2 | grep -oE '(via|dev) [^ ]+')\nip route replace 198.18.2.2/32 $r window 65535",
      "r=$(ip -o route get 198.18.1.2 | grep -oE '(via|dev) [^ ]+')\nip route replace 198.18.1.2/32 $r window 65535",
    ]);
  });

  for (const scenario of ["rewrite-syn-0", "zero-above-2"]) {
    it(`${scenario}: wscale 10 -> 0 client to server; the client scales by 10, the server believes 0; route advice with shift 0`, async () => {
      const r = await compare(CAP(`${scenario}.client.pcap`), CAP(`${scenario}.server.pcap`));
      const [f] = pathFindings(r);
      expect(f).toMatchObject({ id: "path-rewrote-wscale", direction: "client-to-server", severity: "error" });
      expect(f!.diff).toMatchObject({ packet: "SYN", field: "wscale", change: "changed", from: 10, to: 0 });
      expect(f!.message).toContain("wscale 10 -> 0, client to server");
      expect(f!.message).toContain("The client scales its windows by 10, the server believes 0");
      expect(f!.message).toContain("the client's raw window of up to 63 means 64512 bytes, the server reads 63 bytes");
      const route = f!.advice.find((a) => a.kind === "route")!;
      expect(route.command).toBe(
        "r=$(ip -o route get 198.18.2.2 | grep -oE '(via|dev) [^ ]+')\nip route replace 198.18.2.2/32 $r window 65535",
      );
      expect(route.why).toContain("on client 198.18.1.2");
      expect(route.why).toContain("shift 0");
      expect(f!.advice[0]!.command).toContain("rewrites the window-scale shift in client SYNs from 10 to 0");
      // Each capture's own verdict is kept, marked with its input.
      expect(r.findings.filter((x) => x.id === "scale-rewritten").map((x) => x.input)).toEqual([0, 1]);
    });
  }

  it("server-noscale: no path change; says that the server declined", async () => {
    const r = await compare(CAP("server-noscale.client.pcap"), CAP("server-noscale.server.pcap"));
    expect(pathFindings(r)).toEqual([]);
    expect(r.matches[0]!.notes[0]).toBe(
      "The server declined scaling: the SYN reached it with wscale 10 (capture B is at the server: TTL 64), its SYN-ACK has none at either capture.",
    );
    const rev = await compare(CAP("server-noscale.server.pcap"), CAP("server-noscale.client.pcap"));
    expect(rev.matches[0]!.notes[0]).toContain("(capture A is at the server: TTL 64)");
    // The single-vantage findings are still there: stripped-or-declined at the client (refuted now),
    // declined at the server (standing).
    expect(r.findings.map((f) => `${f.input} ${f.id} ${f.settledBy ?? "-"}`)).toEqual(
      expect.arrayContaining(["0 scale-stripped server-declined", "1 scale-declined -"]),
    );
  });

  it("ipv6-strip-syn: frames of the SYN from the manifest, in both captures", async () => {
    const r = await compare(CAP("ipv6-strip-syn.client.pcap"), CAP("ipv6-strip-syn.server.pcap"));
    const [f] = pathFindings(r);
    expect(f!.evidence.map((e) => [e.input, e.frame])).toEqual([
      [0, synFrame("ipv6-strip-syn.client.pcap")],
      [1, synFrame("ipv6-strip-syn.server.pcap")],
    ]);
    expect(f!.diff!.frames).toEqual({
      a: synFrame("ipv6-strip-syn.client.pcap"),
      b: synFrame("ipv6-strip-syn.server.pcap"),
    });
    expect(r.connections[0]!.client.ip).toBe("2001:db8:1::2");
  });

  it("healthy: identical handshakes, said in a note; SYN-ACK frames as in the manifest", async () => {
    const r = await compare(CAP("healthy.client.pcap"), CAP("healthy.server.pcap"));
    expect(r.matches[0]!.notes).toEqual(["SYN and SYN-ACK are identical at both captures (options, window, ISN)."]);
    expect(r.connections[0]!.server.syn!.frame).toBe(synAckFrame("healthy.client.pcap"));
    expect(r.unmatched).toEqual([]);
  });

  it("a SYN whose wscale was cut by the snapshot length is not reported as changed", async () => {
    const r = await compare(CAP("healthy.snap73.client.pcap"), CAP("healthy.server.pcap"));
    expect(r.matches[0]!.diffs).toEqual([]);
    expect(r.matches[0]!.notes.join("\n")).toContain(
      "Capture A cut the options of the SYN and SYN-ACK (snapshot length)",
    );
  });

  it("healthy-pcapng: the loopback connection of the client file is listed as unmatched, not dropped", async () => {
    const r = await compare(CAP("healthy-pcapng.client.pcapng"), CAP("healthy-pcapng.server.pcapng"));
    expect(r.matches).toHaveLength(1);
    expect(r.unmatched).toEqual([
      expect.objectContaining({ input: 0, connection: "c2", client: "127.0.0.1:32786", server: "127.0.0.1:81" }),
    ]);
    const rev = await compare(CAP("healthy-pcapng.server.pcapng"), CAP("healthy-pcapng.client.pcapng"));
    expect(rev.unmatched).toEqual([expect.objectContaining({ input: 1, connection: "c2" })]);
  });
});

describe("compare: the JSON document", () => {
  const validate = new Ajv2020({ allErrors: true }).compile(
    JSON.parse(readFileSync(join(ROOT, "schema/report.schema.json"), "utf8")),
  );

  it("validates against the shipped schema for every pair, with both inputs and A's connections", async () => {
    for (const [client, server] of PAIRS) {
      const r = await compare(CAP(client), CAP(server));
      const doc = JSON.parse(JSON.stringify(r));
      expect(validate(doc), `${client}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(doc.inputs.map((i: { path: string }) => i.path)).toEqual([CAP(client), CAP(server)]);
      expect(doc.mode).toBe("compare");
      expect(doc.schemaVersion).toBe(1);
    }
  });

  it("connections are capture A's; capture B's are in connectionsB", async () => {
    const r = await compare(CAP("healthy-pcapng.client.pcapng"), CAP("healthy-pcapng.server.pcapng"));
    expect(r.connections.map((c) => c.client.ip)).toEqual(["198.18.1.2", "127.0.0.1"]);
    expect(r.connectionsB.map((c) => c.id)).toEqual(["c1"]);
    const rev = await compare(CAP("healthy-pcapng.server.pcapng"), CAP("healthy-pcapng.client.pcapng"));
    expect(rev.connections.map((c) => c.id)).toEqual(["c1"]);
  });

  it("findings: compare findings first (no input), then capture A's own (input 0), then B's (input 1)", async () => {
    const r = await compare(CAP("rewrite-syn-0.client.pcap"), CAP("rewrite-syn-0.server.pcap"));
    const inputs = r.findings.map((f) => f.input ?? -1);
    expect(inputs).toEqual([...inputs].sort((x, y) => x - y));
    expect(inputs[0]).toBe(-1);
    for (const f of r.findings.filter((x) => x.input !== undefined))
      for (const e of f.evidence) expect(e.input).toBe(f.input);
    expect(r.matches).toEqual([
      expect.objectContaining({ a: "c1", b: "c1", by: "4-tuple", nat: false, aSide: "client", verdict: "changed" }),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Crafted pairs: what a box can do that the lab cannot make.

interface SynSpec {
  isn: number;
  ttl?: number;
  ipId?: number;
  window?: number;
  options?: number[];
}

interface Handshake {
  client: [string, number];
  server: [string, number];
  /** Capture time of the SYN, and the SYN to SYN-ACK gap at this capture point. */
  t: number;
  gap?: number;
  syn: SynSpec;
  synAck: SynSpec;
}

function frame(from: [string, number], to: [string, number], flags: number, s: SynSpec, ack = 0): Uint8Array {
  return ethernet(
    ipv4(
      tcp({
        srcPort: from[1],
        dstPort: to[1],
        seq: s.isn,
        ack,
        flags,
        window: s.window ?? 64240,
        options: s.options ?? [],
      }),
      { src: from[0], dst: to[0], ttl: s.ttl ?? 64, id: s.ipId ?? 0, dontFragment: true },
    ),
  );
}

function record(t: number, data: Uint8Array): PcapRecord {
  const sec = Math.floor(t);
  return { sec, frac: Math.round((t - sec) * 1e6), data };
}

let crafted = 0;
/** A pcap of these handshakes (SYN, SYN-ACK, ACK each), as one capture point saw them. */
function capture(...hs: Handshake[]): string {
  const recs: PcapRecord[] = [];
  for (const h of hs) {
    const gap = h.gap ?? 0.02;
    recs.push(record(h.t, frame(h.client, h.server, SYN, h.syn)));
    recs.push(record(h.t + gap, frame(h.server, h.client, SYN | ACK, h.synAck, (h.syn.isn + 1) >>> 0)));
    recs.push(
      record(
        h.t + gap + 0.0001,
        frame(
          h.client,
          h.server,
          ACK,
          { ...h.syn, isn: (h.syn.isn + 1) >>> 0, options: [], window: 500 },
          h.synAck.isn + 1,
        ),
      ),
    );
  }
  recs.sort((a, b) => a.sec + (a.frac ?? 0) / 1e6 - (b.sec + (b.frac ?? 0) / 1e6));
  const path = join(tmp, `crafted-${++crafted}.pcap`);
  writeFileSync(path, pcapFile({}, recs));
  return path;
}

const T0 = 1_800_000_000;
const C: [string, number] = ["10.0.0.2", 40000];
const S: [string, number] = ["192.0.2.80", 80];
/** The same handshake at the client side (TTL of the client's SYN 64) and the server side (one router: 63). */
function atBothEnds(
  syn: { client: SynSpec; server: SynSpec },
  synAck: { client: SynSpec; server: SynSpec },
  opts: { serverSideClient?: [string, number]; ttlDrop?: number; gaps?: [number, number] } = {},
): [string, string] {
  const drop = opts.ttlDrop ?? 1;
  const [gapC, gapS] = opts.gaps ?? [0.02, 0.0001];
  const a = capture({
    client: C,
    server: S,
    t: T0,
    gap: gapC,
    syn: { ttl: 64, ...syn.client },
    synAck: { ttl: 64 - drop, ...synAck.client },
  });
  const b = capture({
    client: opts.serverSideClient ?? C,
    server: S,
    t: T0 + 0.01,
    gap: gapS,
    syn: { ttl: 64 - drop, ...syn.server },
    synAck: { ttl: 64, ...synAck.server },
  });
  return [a, b];
}

const LINUX = (o: { wscale?: number; mss?: number; tsVal?: number } = {}) =>
  linuxSynOptions({ wscale: 7, tsVal: 1000, ...o });
const noWscale = (tsVal = 1000) => [...opt.mss(1460), ...opt.sackPermitted(), ...opt.timestamp(tsVal, 0)];

async function both(a: string, b: string): Promise<CompareReport> {
  const fwd = await compareCaptures(a, b, { idleTimeout: 300 });
  const rev = await compareCaptures(b, a, { idleTimeout: 300 });
  expect(verdicts(rev)).toEqual(verdicts(fwd));
  return fwd;
}

describe("compare: crafted pairs", () => {
  it("NAT on the path: addresses and ports differ, matched by ISN, no finding", async () => {
    const [a, b] = atBothEnds(
      { client: { isn: 1000, ipId: 4242, options: LINUX() }, server: { isn: 1000, ipId: 4242, options: LINUX() } },
      { client: { isn: 5000, options: LINUX({ tsVal: 9 }) }, server: { isn: 5000, options: LINUX({ tsVal: 9 }) } },
      { serverSideClient: ["203.0.113.1", 20001] },
    );
    const r = await both(a, b);
    expect(r.matches).toEqual([
      expect.objectContaining({
        by: "isn",
        nat: true,
        translated: { client: { a: "10.0.0.2:40000", b: "203.0.113.1:20001" } },
        aSide: "client",
        verdict: "unchanged",
      }),
    ]);
    expect(r.matches[0]!.notes[0]).toBe("NAT between the captures: client 10.0.0.2:40000 (A) = 203.0.113.1:20001 (B).");
    expect(pathFindings(r)).toEqual([]);
  });

  it("a sequence-randomising firewall on the same 4-tuple: path-rewrote-isn client to server", async () => {
    const [a, b] = atBothEnds(
      { client: { isn: 1000, options: LINUX() }, server: { isn: 0x9000_0000, options: LINUX() } },
      { client: { isn: 5000, options: LINUX({ tsVal: 9 }) }, server: { isn: 5000, options: LINUX({ tsVal: 9 }) } },
    );
    const r = await both(a, b);
    expect(r.matches[0]).toMatchObject({ by: "4-tuple", nat: false, verdict: "changed" });
    expect(verdicts(r)).toEqual([`path-rewrote-isn client-to-server info SYN isn changed 1000 -> ${0x9000_0000}`]);
    expect(pathFindings(r)[0]!.message).toContain(
      `with ISN 1000 and reached the server side (capture B, frame 1) with ISN ${0x9000_0000}`,
    );
  });

  it("NAT plus ISN rewriting both ways: matched by the SYN's IP ID and TSval", async () => {
    const [a, b] = atBothEnds(
      {
        client: { isn: 1000, ipId: 4242, options: LINUX({ tsVal: 123456 }) },
        server: { isn: 77777, ipId: 4242, options: LINUX({ tsVal: 123456 }) },
      },
      {
        client: { isn: 5000, options: LINUX({ tsVal: 9 }) },
        server: { isn: 88888, options: LINUX({ tsVal: 9 }) },
      },
      { serverSideClient: ["203.0.113.1", 20001] },
    );
    const r = await both(a, b);
    expect(r.matches[0]).toMatchObject({ by: "ipid+ts", nat: true, verdict: "changed" });
    expect(verdicts(r)).toEqual([
      "path-rewrote-isn client-to-server info SYN isn changed 1000 -> 77777",
      "path-rewrote-isn server-to-client info SYN-ACK isn changed 88888 -> 5000",
    ]);
  });

  it("a proxy: nothing survives but the time of the SYN; scaling per leg", async () => {
    const a = capture({
      client: C,
      server: S,
      t: T0,
      syn: { isn: 1000, ttl: 64, ipId: 1, options: LINUX({ wscale: 10, tsVal: 111 }) },
      synAck: { isn: 2000, ttl: 64, options: LINUX({ wscale: 7, tsVal: 222 }) },
    });
    const b = capture({
      client: ["198.51.100.9", 50000],
      server: S,
      t: T0 + 0.005,
      syn: { isn: 3000, ttl: 64, ipId: 2, options: LINUX({ wscale: 7, tsVal: 333 }) },
      synAck: { isn: 4000, ttl: 64, options: LINUX({ wscale: 10, tsVal: 444 }) },
    });
    const r = await both(a, b);
    expect(r.matches[0]).toMatchObject({ by: "time", nat: true, verdict: "proxy", aSide: "client", sideBy: "time" });
    const [f] = pathFindings(r);
    expect(f).toMatchObject({
      id: "path-proxy",
      direction: "client-to-server",
      confidence: "likely",
      severity: "info",
    });
    expect(f!.message).toContain("the client's ISN (1000 in A, 3000 in B)");
    expect(f!.message).toContain("the client offers wscale 10 and the proxy answers wscale 7, so scaling is on (10/7)");
    expect(f!.message).toContain("the proxy offers wscale 7 and the server answers wscale 10, so scaling is on (7/10)");
    expect(pathFindings(r).map((x) => x.id)).toEqual(["path-proxy"]); // no per-option findings for a proxy
  });

  it("a transparent proxy on the same 4-tuple, one leg without scaling: path-proxy warn, certain", async () => {
    const [a, b] = atBothEnds(
      { client: { isn: 1000, options: LINUX({ tsVal: 111 }) }, server: { isn: 3000, options: noWscale(333) } },
      { client: { isn: 2000, options: LINUX({ tsVal: 222 }) }, server: { isn: 4000, options: noWscale(444) } },
    );
    const r = await both(a, b);
    const [f] = pathFindings(r);
    expect(f).toMatchObject({ id: "path-proxy", severity: "warn", confidence: "certain" });
    expect(f!.message).toContain("so scaling is off on that leg");
  });

  it("wscale removed with the option block shortened: path-stripped-wscale", async () => {
    const [a, b] = atBothEnds(
      { client: { isn: 1000, options: LINUX() }, server: { isn: 1000, options: noWscale() } },
      { client: { isn: 5000, options: noWscale(9) }, server: { isn: 5000, options: noWscale(9) } },
    );
    const r = await both(a, b);
    expect(verdicts(r)).toEqual(["path-stripped-wscale client-to-server warn SYN wscale removed 7 -> null"]);
    expect(pathFindings(r)[0]!.message).toContain("without it, its option block shortened (mss,sackOK,TS)");
    expect(pathFindings(r)[0]!.message).toContain("Both ends agree that scaling is off");
  });

  it("a box adds wscale to a SYN that had none: path-added-option, and the ends disagree", async () => {
    const [a, b] = atBothEnds(
      { client: { isn: 1000, options: noWscale() }, server: { isn: 1000, options: LINUX({ wscale: 7 }) } },
      { client: { isn: 5000, options: LINUX({ tsVal: 9 }) }, server: { isn: 5000, options: LINUX({ tsVal: 9 }) } },
    );
    const r = await both(a, b);
    expect(verdicts(r)).toEqual(["path-added-option client-to-server error SYN wscale added null -> 7"]);
    expect(pathFindings(r)[0]!.message).toContain("the server scales its windows by 7, the client believes 0");
  });

  it("SACK-permitted overwritten with NOPs, timestamps removed: path-cleared-option and path-stripped-option", async () => {
    const cut = [...opt.mss(1460), ...opt.nop(), ...opt.nop(), ...opt.nop(), ...opt.wscale(7)];
    const [a, b] = atBothEnds(
      { client: { isn: 1000, options: LINUX() }, server: { isn: 1000, options: cut } },
      { client: { isn: 5000, options: LINUX({ tsVal: 9 }) }, server: { isn: 5000, options: LINUX({ tsVal: 9 }) } },
    );
    const r = await both(a, b);
    expect(verdicts(r)).toEqual([
      "path-cleared-option client-to-server warn SYN sackOK cleared sackOK -> null",
      "path-stripped-option client-to-server warn SYN TS removed 1000 -> null",
    ]);
    expect(pathFindings(r)[0]!.message).toContain("with SACK-permitted and reached");
  });

  it("MSS clamped and the SYN window rewritten: path-clamped-mss 1460 -> 1200, path-rewrote-window", async () => {
    const [a, b] = atBothEnds(
      { client: { isn: 1000, options: LINUX() }, server: { isn: 1000, window: 65535, options: LINUX({ mss: 1200 }) } },
      { client: { isn: 5000, options: LINUX({ tsVal: 9 }) }, server: { isn: 5000, options: LINUX({ tsVal: 9 }) } },
    );
    const r = await both(a, b);
    expect(verdicts(r)).toEqual([
      "path-clamped-mss client-to-server info SYN mss changed 1460 -> 1200",
      "path-rewrote-window client-to-server info SYN window changed 64240 -> 65535",
    ]);
    expect(pathFindings(r)[0]!.message).toContain("mss 1460 -> 1200, client to server");
    expect(pathFindings(r)[0]!.message).toContain("at most 1200 bytes (1188 with timestamps)");
  });

  it("equal TTLs (a bridge): the SYN to SYN-ACK gap tells the client side, no clocks needed", async () => {
    const [a, b] = atBothEnds(
      { client: { isn: 1000, options: LINUX() }, server: { isn: 1000, options: LINUX({ wscale: 0 }) } },
      { client: { isn: 5000, options: LINUX({ tsVal: 9 }) }, server: { isn: 5000, options: LINUX({ tsVal: 9 }) } },
      { ttlDrop: 0 },
    );
    const r = await both(a, b);
    expect(r.matches[0]).toMatchObject({ aSide: "client", sideBy: "handshake-gap", routerHops: 0 });
    expect(verdicts(r)).toEqual(["path-rewrote-wscale client-to-server error SYN wscale changed 7 -> 0"]);
  });

  it("nothing tells the sides apart: capture A is taken as the client side, and it is said", async () => {
    const [a, b] = atBothEnds(
      { client: { isn: 1000, options: LINUX() }, server: { isn: 1000, options: LINUX() } },
      { client: { isn: 5000, options: LINUX({ tsVal: 9 }) }, server: { isn: 5000, options: LINUX({ tsVal: 9 }) } },
      { ttlDrop: 0, gaps: [0.02, 0.02] },
    );
    // Same times in both files too.
    writeFileSync(b, readFileSync(a));
    const r = await compareCaptures(a, b, { idleTimeout: 300 });
    expect(r.vantage).toEqual({ a: "unknown", b: "unknown" });
    expect(r.matches[0]).toMatchObject({ aSide: "unknown", sideBy: null, verdict: "unchanged" });
    expect(r.matches[0]!.notes[0]).toBe(
      "Capture A taken as the client side: same TTLs and no usable timing. Swap the files if it is not.",
    );
  });

  it("a 4-tuple reused: each connection pairs with its own ISN, extra ones are listed as unmatched", async () => {
    const h = (t: number, isn: number, ttl: number): Handshake => ({
      client: C,
      server: S,
      t,
      syn: { isn, ttl, options: LINUX() },
      synAck: { isn: isn + 7, ttl: 128 - ttl, options: LINUX({ tsVal: 9 }) },
    });
    const a = capture(h(T0, 111, 64), h(T0 + 100, 222, 64), h(T0 + 200, 333, 64));
    const b = capture(h(T0 + 100.01, 222, 63), h(T0 + 200.01, 333, 63));
    const r = await compareCaptures(a, b, { idleTimeout: 10 });
    expect(r.matches.map((m) => `${m.a}=${m.b} ${m.by}`)).toEqual(["c2=c1 4-tuple", "c3=c2 4-tuple"]);
    expect(r.unmatched).toEqual([expect.objectContaining({ input: 0, connection: "c1" })]);
    expect(pathFindings(r)).toEqual([]);
  });
});

describe("compare: terminal report and command", () => {
  const plain = new Chalk({ level: 0 });
  afterEach(() => {
    process.exitCode = undefined;
  });

  it("a table of matched connections with per-option diffs, then the findings", async () => {
    const text = renderCompare(
      await compare(CAP("rewrite-syn-0.client.pcap"), CAP("rewrite-syn-0.server.pcap")),
      plain,
      200,
    );
    expect(text).toContain("Capture A (input 1): ");
    expect(text).toMatch(/Capture A \(input 1\): .*rewrite-syn-0\.client\.pcap .*: client side/);
    expect(text).toMatch(/Capture B \(input 2\): .*rewrite-syn-0\.server\.pcap .*: server side/);
    expect(text).toContain("wscale 10 -> 0");
    expect(text).toMatch(/^c1\/c1 +198\.18\.1\.2:44620 +4-tuple +wscale 10 -> 0 += {2,}path-rewrote-wscale$/m);
    expect(text).toContain("[error] path-rewrote-wscale (certain)");
    expect(text).toContain("Each capture on its own");
    expect(text).not.toContain("\u001b[");
  });

  it("no path change is said in words", async () => {
    const text = renderCompare(await compare(CAP("healthy.client.pcap"), CAP("healthy.server.pcap")), plain);
    expect(text).toContain("None: every handshake packet arrived as it was sent.");
    expect(text).toContain("unchanged");
  });

  const args = (a: string, b: string, more: Partial<CompareArgs> = {}) =>
    ({
      _: [],
      $0: "wscale",
      a,
      b,
      format: "json",
      failOn: "error",
      idleTimeout: 300,
      color: false,
      ...more,
    }) as ArgumentsCamelCase<CompareArgs>;

  it("the handler writes the JSON document and sets exit 1 for an error finding, 0 otherwise", async () => {
    const out = join(tmp, "rewrite.json");
    await compareCommand.handler(
      args(CAP("rewrite-syn-0.client.pcap"), CAP("rewrite-syn-0.server.pcap"), { output: out }),
    );
    expect(process.exitCode).toBe(1);
    const doc = JSON.parse(readFileSync(out, "utf8"));
    expect(doc.inputs).toHaveLength(2);
    expect(doc.matches[0]).toMatchObject({ a: "c1", b: "c1", by: "4-tuple", nat: false });
    expect(doc.unmatched).toEqual([]);
    expect(doc.findings[0].id).toBe("path-rewrote-wscale");

    await compareCommand.handler(args(CAP("strip-syn.client.pcap"), CAP("strip-syn.server.pcap"), { output: out }));
    expect(process.exitCode).toBe(0); // warn < error
    await compareCommand.handler(
      args(CAP("strip-syn.client.pcap"), CAP("strip-syn.server.pcap"), { output: out, failOn: "warn" }),
    );
    expect(process.exitCode).toBe(1);
    await compareCommand.handler(
      args(CAP("rewrite-syn-0.client.pcap"), CAP("rewrite-syn-0.server.pcap"), { output: out, failOn: "never" }),
    );
    expect(process.exitCode).toBe(0);
  });

  it("usage and input errors: both on stdin is a UsageError, an unreadable file an InputError", async () => {
    await expect(compareCommand.handler(args(STDIN_TOKEN, STDIN_TOKEN))).rejects.toMatchObject({
      name: "UsageError",
      message: "only one of the two captures can be read from stdin (-)",
    });
    await expect(
      compareCommand.handler(args(CAP("README.md"), CAP("healthy.server.pcap"), { output: join(tmp, "x.json") })),
    ).rejects.toMatchObject({ name: "InputError" });
  });
});

describe("compare: matching at scale", () => {
  it("20,000 connections against 20,000 others, none shared: the work grows linearly, not quadratically", async () => {
    const { matchConnections } = await import("../src/compare/match.js");
    type Conn = import("../src/connections/summary.js").ConnectionSummary;
    const fake = (i: number, side: number): Conn =>
      ({
        id: `c${i + 1}`,
        startTime: T0 + i * 0.001,
        client: {
          ip: `10.${side}.${(i >> 8) & 255}.${i & 255}`,
          port: 30000 + (i % 30000),
          syn: { isn: side * 1e6 + i, ipId: i, tsVal: side * 1e7 + i, time: T0 + i * 0.001 },
        },
        server: { ip: "192.0.2.80", port: 80, syn: { isn: side * 2e6 + i, ipId: 0, tsVal: side * 3e7 + i } },
      }) as unknown as Conn;
    const as = Array.from({ length: 20_000 }, (_, i) => fake(i, 1));
    const bs = Array.from({ length: 20_000 }, (_, i) => fake(i, 2));
    const m = matchConnections(
      as,
      bs.slice(0, 19_000).map((b, i) => ({ ...b, server: { ...b.server, port: 81 + (i % 2) } })),
    );
    expect(m.pairs).toEqual([]);
    // Work, not wall time (which drifts on a shared machine): the connections' fields read while
    // matching n against n, counted through proxies. 4 times the connections cost about 4 times the
    // reads (n log n: under 5); comparing every pair would cost 16 times.
    const reads = (n: number) => {
      let count = 0;
      const proxies = new WeakMap<object, object>();
      const counted = <T extends object>(o: T): T => {
        if (!proxies.has(o)) {
          proxies.set(
            o,
            new Proxy(o, {
              get(target, key, receiver) {
                count++;
                const v = Reflect.get(target, key, receiver);
                return v !== null && typeof v === "object" ? counted(v) : v;
              },
            }),
          );
        }
        return proxies.get(o) as T;
      };
      matchConnections(as.slice(0, n).map(counted), bs.slice(0, n).map(counted));
      return count;
    };
    expect(reads(4000) / reads(1000)).toBeLessThan(8);
    expect(m.unmatchedA).toHaveLength(20_000);
    // The same SYNs seen again (behind a NAT): every one matched by its ISN.
    const nat = as.map((a) => ({ ...a, client: { ...a.client, ip: "203.0.113.1" } }));
    const m2 = matchConnections(as, nat);
    expect(m2.pairs).toHaveLength(20_000);
    expect(new Set(m2.pairs.map((p) => p.by))).toEqual(new Set(["isn"]));
    expect(m2.pairs.every((p) => p.a.id === p.b.id)).toBe(true);
    // Unrelated connections to the same server at the same moments: time alone is ambiguous, so no pairs.
    const m3 = matchConnections(as.slice(0, 2000), bs.slice(0, 2000));
    expect(m3.pairs).toEqual([]);
  });
});
