/**
 * Compare mode (SPEC section 8): two captures of the same traffic taken at two points of the path.
 *
 * Finding ids (all `confidence: "certain"` except a proxy matched by time alone, and all with a
 * `direction`): path-stripped-wscale (the wscale option removed, option block shortened),
 * path-cleared-option (any option overwritten in place with NOPs: wscale, SACK-permitted,
 * timestamps, MSS), path-rewrote-wscale, path-added-option, path-clamped-mss (MSS value changed),
 * path-stripped-option (an option other than wscale removed, block shortened: SACK-permitted,
 * timestamps, MSS), path-rewrote-isn, path-rewrote-window (the SYN or SYN-ACK window field) and
 * path-proxy (two TCP connections: nothing of the handshake survives).
 */
import { type AnalysisReport, type AnalyzeOptions, analyze } from "../analysis/analyze.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Finding } from "../findings/finding.js";
import { matchConnections, type Pair } from "./match.js";
import { analysePair } from "./pair.js";
import type { CompareFinding, CompareReport, ConnectionMatch, PathDiff, Side, UnmatchedConnection } from "./types.js";
import { majoritySide, otherSide, type SideVerdict, sideOfA, vantageLabel } from "./vantage.js";

export type CompareOptions = Pick<AnalyzeOptions, "idleTimeout" | "stdin">;

/** Analyse both captures (each on its own, as `wscale analyze` would) and compare them. */
export async function compareCaptures(pathA: string, pathB: string, opts: CompareOptions): Promise<CompareReport> {
  const [a, b] = await Promise.all([analyze([pathA], opts), analyze([pathB], opts)]);
  return compareReports(a, b);
}

/**
 * Two reports of the same traffic seen at two points: match their connections, tell which
 * capture is nearer the client, and diff each handshake packet from where it passed first to
 * where it arrived. The document is SPEC section 7's: both inputs, capture A's connections, the
 * compare findings followed by each capture's own findings (marked with `input`), plus `matches`,
 * `unmatched`, `vantage` and capture B's connections.
 */
export function compareReports(a: AnalysisReport, b: AnalysisReport): CompareReport {
  const matching = matchConnections(a.connections, b.connections);
  const proxies = matching.pairs.map(isProxy);
  const verdicts: SideVerdict[] = matching.pairs.map((p, i) => sideOfA(p.a, p.b, proxies[i]!));
  const majority = majoritySide(verdicts.map((v) => v.side));
  const sides: { side: Side; by: SideVerdict["by"] | "majority" }[] = verdicts.map((v) =>
    v.side === "unknown" && majority !== "unknown" ? { side: majority, by: "majority" } : v,
  );

  const matches: ConnectionMatch[] = [];
  const findings: CompareFinding[] = [];
  // What the two vantage points settle about each capture's own findings, by "input connection".
  const settled = new Map<string, { ids: readonly string[]; by: string; diff: PathDiff | undefined }>();
  matching.pairs.forEach((p, i) => {
    const side = sides[i]!;
    const result = analysePair({
      a: { input: 0, conn: p.a },
      b: { input: 1, conn: p.b },
      by: p.by,
      aSide: side.side,
      proxy: proxies[i]!,
    });
    const translated = translation(p.a, p.b);
    const notes = [...result.notes];
    if (translated) {
      const parts = [
        translated.client && `client ${translated.client.a} (A) = ${translated.client.b} (B)`,
        translated.server && `server ${translated.server.a} (A) = ${translated.server.b} (B)`,
      ].filter(Boolean);
      notes.unshift(`NAT between the captures: ${parts.join(", ")}.`);
    }
    const ca = p.a.client.syn;
    const cb = p.b.client.syn;
    matches.push({
      a: p.a.id,
      b: p.b.id,
      by: p.by,
      nat: translated !== undefined,
      ...(translated ? { translated } : {}),
      aSide: side.side,
      sideBy: side.by,
      routerHops: ca && cb && !proxies[i] ? Math.abs(ca.ttl - cb.ttl) : null,
      verdict: result.verdict,
      diffs: result.diffs,
      notes,
    });
    findings.push(...result.findings);
    const wscale = result.findings.find((f) => f.diff?.field === "wscale");
    const conclusion = wscale
      ? { ids: PATH_GUESSES, by: wscale.id }
      : result.serverDeclined
        ? { ids: STRIP_GUESSES, by: "server-declined" }
        : null;
    if (conclusion) {
      settled.set(`0 ${p.a.id}`, { ...conclusion, diff: wscale?.diff });
      settled.set(`1 ${p.b.id}`, { ...conclusion, diff: wscale?.diff });
    }
  });
  const own = (f: Finding, input: 0 | 1): CompareFinding => {
    const s = settled.get(`${input} ${f.connection}`);
    const out: CompareFinding = { ...f, input, evidence: f.evidence.map((e) => ({ ...e, input })) };
    if (!s?.ids.includes(f.id)) return out;
    out.settledBy = s.by;
    if (s.diff && rewriteAgrees(f, s.diff)) {
      // SPEC: scale-rewritten is certain when two vantages agree, and an error even where one
      // capture alone could only call it possible (its SYN-ACK missing).
      out.confidence = "certain";
      out.severity = "error";
      out.message += ` Both capture points agree: the ${s.diff.packet} left with wscale ${s.diff.from} and arrived with ${s.diff.to}.`;
    }
    return out;
  };

  const unmatched: UnmatchedConnection[] = [
    ...matching.unmatchedA.map((c) => unmatchedEntry(c, 0)),
    ...matching.unmatchedB.map((c) => unmatchedEntry(c, 1)),
  ];
  const sideList = sides.map((s) => s.side);
  return {
    schemaVersion: a.schemaVersion,
    mode: "compare",
    inputs: [...a.inputs, ...b.inputs],
    vantage: { a: vantageLabel(sideList), b: vantageLabel(sideList.map(otherSide)) },
    connections: a.connections,
    findings: [...findings, ...a.findings.map((f) => own(f, 0)), ...b.findings.map((f) => own(f, 1))],
    connectionsB: b.connections,
    matches,
    unmatched,
  };
}

/**
 * Two different TCP connections glued together: neither side's ISN survived, and not because a
 * box rewrote it while forwarding the packet (the timestamps would then still agree).
 */
function isProxy(p: Pair): boolean {
  if (p.by === "isn" || p.by === "ipid+ts") return false;
  const rewritten = (x: ConnectionSummary["client"]["syn"], y: ConnectionSummary["client"]["syn"]) =>
    x !== null && y !== null && x.isn !== y.isn && !(x.tsVal !== null && x.tsVal === y.tsVal);
  const client = rewritten(p.a.client.syn, p.b.client.syn);
  const server = rewritten(p.a.server.syn, p.b.server.syn);
  if (p.by === "time") return client && (server || p.a.server.syn === null || p.b.server.syn === null);
  return client && server;
}

/** "198.18.1.2:80", "[2001:db8::2]:80". */
function hostPort(e: ConnectionSummary["client"]): string {
  return e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function translation(a: ConnectionSummary, b: ConnectionSummary): ConnectionMatch["translated"] | undefined {
  const ep = hostPort;
  const out: NonNullable<ConnectionMatch["translated"]> = {};
  if (ep(a.client) !== ep(b.client)) out.client = { a: ep(a.client), b: ep(b.client) };
  if (ep(a.server) !== ep(b.server)) out.server = { a: ep(a.server), b: ep(b.server) };
  return out.client || out.server ? out : undefined;
}

function unmatchedEntry(c: ConnectionSummary, input: 0 | 1): UnmatchedConnection {
  return {
    input,
    connection: c.id,
    client: hostPort(c.client),
    server: hostPort(c.server),
    handshake: c.handshake,
    startTime: c.startTime,
  };
}

/**
 * A single capture's guesses about the path that a window-scale change seen between the two
 * captures confirms (and makes certain): the compare finding replaces them.
 */
const PATH_GUESSES = [
  "scale-stripped",
  "scale-rewritten",
  "scale-asymmetric",
  "option-cleared-nops",
  "scale-unverified",
] as const;

/**
 * A single capture's `scale-rewritten` says the same as the wscale change seen between the two
 * captures: the same SYN's shift, read by the peer with the shift the downstream capture shows.
 */
function rewriteAgrees(f: Finding, diff: PathDiff): boolean {
  if (f.id !== "scale-rewritten" || f.direction !== diff.direction || diff.change !== "changed") return false;
  const read = f.readAs?.[0];
  // The applied shift a single capture infers from windows is approximate; what must match is the shift the peer reads with.
  return read !== undefined && read.readWith === diff.to;
}

/** What "the server itself declined" refutes: that a box stripped the option. */
const STRIP_GUESSES = ["scale-stripped"] as const;
