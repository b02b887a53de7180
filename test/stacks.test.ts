/**
 * The table of real stacks' SYN layouts (src/connections/stacks.ts), checked row by row against its sources:
 * p0f's own signature file, the kernel's SYNs in captures/, and SYNs of other stacks from public captures
 * (test/stacks/README.md says where each comes from).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import {
  isStackPadding,
  layoutKinds,
  matchLayout,
  normaliseKinds,
  type OsFamily,
  STACKS,
} from "../src/connections/stacks.js";
import { optionKind, type SynSummary } from "../src/connections/summary.js";

const STACKS_DIR = join(import.meta.dirname, "stacks");
const CAPTURES = join(import.meta.dirname, "..", "captures");

interface P0fSig {
  section: "request" | "response";
  label: string;
  sig: string;
  ttl: number;
  kinds: readonly number[];
}

/** The [tcp:request] and [tcp:response] signatures of p0f 3.09b, each under its label. */
function readP0f(): P0fSig[] {
  const out: P0fSig[] = [];
  let section: P0fSig["section"] | null = null;
  let label = "";
  for (const line of readFileSync(join(STACKS_DIR, "p0f-tcp.fp"), "utf8").split("\n")) {
    if (line === "[tcp:request]") section = "request";
    else if (line === "[tcp:response]") section = "response";
    const m = /^(label|sig)\s*=\s*(.*)$/.exec(line);
    if (m === null || section === null) continue;
    if (m[1] === "label") label = m[2]!;
    else {
      const fields = m[2]!.split(":");
      out.push({
        section,
        label,
        sig: m[2]!,
        ttl: Number(fields[1]!.replace(/-$/, "")),
        kinds: normaliseKinds(layoutKinds(fields[5]!)),
      });
    }
  }
  return out;
}

const P0F = readP0f();

/** p0f's OS names for our families. */
const P0F_OS: Record<string, OsFamily> = {
  Linux: "linux",
  Windows: "windows",
  "Mac OS X": "macos",
  "MacOS X": "macos",
  iOS: "macos",
  FreeBSD: "freebsd",
  OpenBSD: "openbsd",
  Solaris: "solaris",
};

function p0fFamily(label: string): OsFamily | undefined {
  return P0F_OS[label.split(":")[2] ?? ""];
}

describe("every row that cites p0f is a signature p0f really has", () => {
  for (const row of STACKS.filter((s) => s.p0f !== undefined)) {
    it(`${row.family}: ${row.label}`, () => {
      // The same signature line can stand under several labels (macOS and FreeBSD share some).
      const sig = P0F.find((p) => p.sig === row.p0f && p0fFamily(p.label) === row.family);
      expect(sig, `${row.p0f} not in p0f.fp under a ${row.family} label`).toBeDefined();
      expect(sig!.kinds).toEqual(row.kinds);
      expect(sig!.ttl).toBe(row.initialTtl);
      // A row for SYNs only (false) must come from a request signature, SYN-ACKs only from a response one.
      if (row.synAck !== "either") expect(sig!.section).toBe(row.synAck ? "response" : "request");
    });
  }
});

/**
 * p0f signatures of the families we name that the table leaves out, and why. Everything else p0f knows about
 * these families must be matched by a row of the same family and direction.
 */
const NOT_IN_TABLE: Record<string, string> = {
  "*:64:0:*:mss*12,0:mss::0": "Linux 2.0 (1996): a SYN with MSS only and no DF",
  "*:64:0:*:16384,0:mss::0": "Linux 2.0 (1996)",
  "*:64:0:*:*,0:mss:df,id+:0": "p0f's generic 'barebone' Linux SYN: MSS only, any stack with every option off",
  "*:64:0:1380:mss*4,6:mss,nop,nop,ts,nop,ws:df,id+:0":
    "the Websense crawler (TTL 64, filed under Windows 7): not a Windows stack",
  "*:64:0:1380:mss*4,7:mss,nop,nop,ts,nop,ws:df,id+:0": "the Websense crawler",
};

describe("what p0f knows about these stacks, the table knows too", () => {
  it("each signature left out is one p0f has, and the table really leaves it out", () => {
    for (const sig of Object.keys(NOT_IN_TABLE)) {
      const p = P0F.filter((x) => x.sig === sig);
      expect(p.length, sig).toBeGreaterThan(0);
      const synAck = p[0]!.section === "response";
      expect(matchLayout(p[0]!.kinds, synAck).map((r) => r.family)).not.toContain(p0fFamily(p[0]!.label));
    }
  });
  const relevant = P0F.filter((p) => p0fFamily(p.label) !== undefined && NOT_IN_TABLE[p.sig] === undefined);
  it("covers at least 80 of p0f's signatures of Linux, Windows, macOS, FreeBSD, OpenBSD and Solaris", () => {
    expect(relevant.length).toBeGreaterThanOrEqual(80);
  });
  for (const p of relevant) {
    it(`${p.section} ${p.label} ${p.sig}`, () => {
      const rows = matchLayout(p.kinds, p.section === "response");
      expect(rows.map((r) => r.family)).toContain(p0fFamily(p.label));
      expect(isStackPadding(p.kinds, p.section === "response")).toBe(true);
    });
  }
});

/** TTL of a packet that crossed some routers, rounded up to the initial TTL stacks use. */
function initialTtl(ttl: number): number {
  return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

function kinds(syn: SynSummary): number[] {
  return syn.options.map(optionKind);
}

interface Expect {
  file: string;
  syn?: OsFamily;
  synAck?: OsFamily;
  /** Exact option kinds of the SYN / SYN-ACK as sent (as tshark shows them, EOL padding cut). */
  synKinds?: number[];
  synAckKinds?: number[];
}

const REAL: Expect[] = [
  {
    file: "windows-7.pcap",
    syn: "windows",
    synKinds: [2, 1, 3, 1, 1, 4],
    synAck: "linux",
    synAckKinds: [2, 1, 1, 4, 1, 3],
  },
  {
    file: "windows-10.pcap",
    syn: "windows",
    synKinds: [2, 1, 3, 1, 1, 4],
    synAck: "linux",
    synAckKinds: [2, 1, 1, 4, 1, 3],
  },
  { file: "windows-synack.pcap", syn: "windows", synAck: "windows", synAckKinds: [2, 1, 3, 1, 1, 4] },
  { file: "windows-xp.pcap", syn: "windows", synKinds: [2, 1, 1, 4], synAck: "windows", synAckKinds: [2, 1, 1, 4] },
  { file: "windows-xp-ts.pcap", syn: "macos", synAck: "windows", synAckKinds: [2, 1, 3, 1, 1, 8, 1, 1, 4] },
  { file: "windows-ts-synack.pcap", syn: "macos", synAck: "windows", synAckKinds: [2, 1, 3, 4, 8] },
  {
    file: "ios.pcap",
    syn: "macos",
    synKinds: [2, 1, 3, 1, 1, 8, 4, 0],
    synAck: "linux",
    synAckKinds: [2, 1, 1, 8, 1, 3],
  },
  { file: "macos-loopback.pcap", syn: "macos", synAck: "macos", synAckKinds: [2, 1, 3, 1, 1, 8, 4, 0] },
  { file: "macos-no-rfc1323.pcap", syn: "macos", synKinds: [2, 4, 0] },
  // The SYN-ACK (CloudFront, TTL 245) comes from a box that starts at TTL 255 with Linux's layout: not a plain Linux.
  { file: "freebsd-nintendo.pcap", syn: "freebsd", synKinds: [2, 1, 3, 4, 8] },
  { file: "freebsd-netflix.pcap", syn: "macos", synAck: "freebsd", synAckKinds: [2, 1, 3, 4, 8] },
  { file: "netbsd-s4810.pcap", syn: "netbsd", synKinds: [2, 1, 3, 4, 1, 1, 1, 1, 8], synAck: "linux" },
];

describe("SYNs of real stacks from public captures match their rows", () => {
  for (const e of REAL) {
    it(`${e.file}: SYN ${e.syn ?? "-"}, SYN-ACK ${e.synAck ?? "-"}`, async () => {
      const report = await analyze([join(STACKS_DIR, e.file)], { idleTimeout: 300 });
      expect(report.connections).toHaveLength(1);
      const conn = report.connections[0]!;
      for (const [side, family, exact, synAck] of [
        [conn.client.syn, e.syn, e.synKinds, false],
        [conn.server.syn, e.synAck, e.synAckKinds, true],
      ] as const) {
        if (family === undefined) continue;
        expect(side).not.toBeNull();
        if (exact !== undefined) expect(kinds(side!)).toEqual(exact);
        const rows = matchLayout(kinds(side!), synAck).filter((r) => r.family === family);
        expect(rows.length, `${kinds(side!)} as ${family}`).toBeGreaterThan(0);
        expect(rows.map((r) => r.initialTtl)).toContain(initialTtl(side!.ttl));
        expect(isStackPadding(kinds(side!), synAck)).toBe(true);
      }
    });
  }

  it("NetBSD's run of four NOPs is its own padding, not a cleared option", async () => {
    const report = await analyze([join(STACKS_DIR, "netbsd-s4810.pcap")], { idleTimeout: 300 });
    const syn = report.connections[0]!.client.syn!;
    expect(syn.longestNopRun).toBe(4);
    expect(syn.wscale).toBe(5);
    expect(isStackPadding(kinds(syn), false)).toBe(true);
    expect(matchLayout(kinds(syn), false).map((r) => r.label)).toEqual(["NetBSD"]);
    // The same layout in a SYN-ACK is not what NetBSD's syn cache sends.
    expect(matchLayout(kinds(syn), true)).toEqual([]);
  });
});

describe("the kernel's own SYNs (captures/, Linux 6.18)", () => {
  const manifest: {
    files: {
      file: string;
      connections?: { syn: { optionKinds: number[] } | null; synAck: { optionKinds: number[] } | null }[];
    }[];
  } = JSON.parse(readFileSync(join(CAPTURES, "manifest.json"), "utf8"));
  // tshark's reading of each SYN and SYN-ACK; layouts a box overwrote in place (strip-*) carry NOPs for wscale.
  const seen = new Map<string, { synAck: boolean; cleared: boolean; files: string[] }>();
  for (const f of manifest.files) {
    for (const c of f.connections ?? []) {
      for (const [syn, synAck] of [
        [c.syn, false],
        [c.synAck, true],
      ] as const) {
        if (syn === null) continue;
        const key = `${synAck}:${syn.optionKinds.join(",")}`;
        const cleared = syn.optionKinds.join(",").endsWith("1,1,1,1");
        const entry = seen.get(key) ?? { synAck, cleared, files: [] };
        entry.files.push(f.file);
        seen.set(key, entry);
      }
    }
  }

  it("are the six layouts Linux sends here, and the two a box made", () => {
    expect([...seen.keys()].sort()).toEqual(
      [
        "false:2,4,8,1,3", // mss,sok,ts,nop,ws
        "true:2,4,8,1,3",
        "true:2,4,8", // the SYN-ACK to a SYN whose wscale a box cleared
        "false:2,1,1,4,1,3", // timestamps off (syn-cookies-no-ts): mss,nop,nop,sok,nop,ws
        "true:2,1,1,4,1,3",
        "true:2", // a SYN cookie to a SYN without timestamps: nothing to encode wscale and SACK in
        "false:2,4,8,1,1,1,1",
        "true:2,4,8,1,1,1,1",
      ].sort(),
    );
  });

  for (const [key, v] of seen) {
    const kindsOf = key.split(":")[1]!.split(",").map(Number);
    if (v.cleared) {
      it(`${key} (${v.files[0]}): the wscale option overwritten with NOPs matches no stack`, () => {
        expect(matchLayout(kindsOf, v.synAck)).toEqual([]);
        expect(isStackPadding(kindsOf, v.synAck)).toBe(false);
      });
    } else {
      it(`${key} (${v.files.length} files): Linux`, () => {
        const rows = matchLayout(kindsOf, v.synAck);
        expect(rows.map((r) => r.family)).toContain("linux");
        expect(rows.find((r) => r.family === "linux")!.initialTtl).toBe(64);
      });
    }
  }

  it("our decoder reads the kernel's SYN as tshark does, and the table knows it", async () => {
    const report = await analyze([join(CAPTURES, "healthy.client.pcap")], { idleTimeout: 300 });
    const c = report.connections[0]!;
    expect(kinds(c.client.syn!)).toEqual([2, 4, 8, 1, 3]);
    expect(c.client.syn!.ttl).toBe(64);
    expect(matchLayout(kinds(c.client.syn!), false).map((r) => r.label)).toEqual(["Linux 2.6-6.x"]);
  });
});

describe("matchLayout", () => {
  it("drops what follows the first EOL: macOS pads with two", () => {
    const twoEols = [2, 1, 3, 1, 1, 8, 4, 0, 0];
    expect(matchLayout(twoEols, false).map((r) => r.family)).toEqual(["macos"]);
  });

  it("tells a SYN from a SYN-ACK: Linux answers an MSS-only SYN with MSS only, but never sends such a SYN", () => {
    expect(new Set(matchLayout([2], true).map((r) => r.family))).toEqual(new Set(["linux", "windows", "solaris"]));
    expect(matchLayout([2], false)).toEqual([]);
  });

  it("an unknown layout matches nothing and is not padding", () => {
    expect(matchLayout([2, 1, 1, 1, 1, 1, 1, 4], false)).toEqual([]);
    expect(isStackPadding([2, 1, 1, 1, 1, 1, 1, 4], false)).toBe(false);
  });

  it("every row names its source", () => {
    for (const s of STACKS) expect(s.source.length).toBeGreaterThan(10);
  });
});
