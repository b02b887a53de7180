import type { Endpoint } from "../connections/endpoint.js";
import type { ConnectionSummary, SynSummary } from "../connections/summary.js";
import { MAX_SHIFT } from "../connections/wscale.js";
import { scaleAdvice } from "../findings/advice.js";
import type { Advice, Direction, Evidence, Severity } from "../findings/finding.js";
import { hasInitialTtl } from "../findings/vantage.js";
import { MAX_UNSCALED_WINDOW } from "../kernel/linux-wscale.js";
import { formatBits, formatDuration } from "../kernel/units.js";
import { diffSyn } from "./diff.js";
import { endpointsFrom } from "./endpoint.js";
import type { CompareFinding, MatchBy, Packet, PathDiff, Side } from "./types.js";

/** One capture of the pair, as one connection appears in it. */
export interface View {
  /** 0 for capture A, 1 for capture B. */
  input: 0 | 1;
  conn: ConnectionSummary;
}

export interface PairContext {
  a: View;
  b: View;
  by: MatchBy;
  /** Where capture A sits for this connection; "unknown" is analysed as if A were the client side. */
  aSide: Side;
  proxy: boolean;
}

export interface PairResult {
  diffs: PathDiff[];
  findings: CompareFinding[];
  notes: string[];
  verdict: "unchanged" | "changed" | "proxy" | "no-handshake";
  /** The SYN reached a capture taken at the server itself with wscale, and the server answered without it. */
  serverDeclined: boolean;
}

/** Shifts as one end applies them: to its own windows, and to the windows its peer advertises. */
interface EndScaling {
  on: boolean;
  own: number;
  peer: number;
}

function endScaling(own: SynSummary | null, peer: SynSummary | null): EndScaling | null {
  if (own === null || peer === null) return null;
  if ((own.wscale === null && own.optionsTruncated) || (peer.wscale === null && peer.optionsTruncated)) return null;
  const on = own.wscale !== null && peer.wscale !== null;
  return {
    on,
    own: on ? Math.min(own.wscale!, MAX_SHIFT) : 0,
    peer: on ? Math.min(peer.wscale!, MAX_SHIFT) : 0,
  };
}

const DIRECTION_WORDS: Record<Direction, string> = {
  "client-to-server": "client to server",
  "server-to-client": "server to client",
};

/**
 * Everything two vantage points say about one connection: the SYN diffed from the capture nearer
 * the client to the one nearer the server, the SYN-ACK the other way round, and the findings and
 * notes that follow, with the consequences for scaling at each end.
 */
export function analysePair(ctx: PairContext): PairResult {
  const aIsClientSide = ctx.aSide !== "server";
  const cs = aIsClientSide ? ctx.a : ctx.b;
  const ss = aIsClientSide ? ctx.b : ctx.a;
  const known = ctx.aSide !== "unknown";
  const letter = (v: View) => (v.input === 0 ? "A" : "B");
  // The files are named in the report's header: capture letter and frame suffice here.
  const long = (v: View, frame?: number) => {
    const f = frame === undefined ? "" : `, frame ${frame}`;
    return known
      ? `the ${v === cs ? "client" : "server"} side (capture ${letter(v)}${f})`
      : `capture ${letter(v)}${f ? ` (${f.slice(2)})` : ""}`;
  };
  const short = (v: View) => `capture ${letter(v)}${known ? ` (${v === cs ? "client" : "server"} side)` : ""}`;
  const notes: string[] = [];
  const findings: CompareFinding[] = [];
  const id = ctx.a.conn.id;
  const rttMs = cs.conn.rttMs ?? ss.conn.rttMs;
  const rtt = rttMs !== null && rttMs > 0 ? rttMs / 1000 : null;
  const rate = (window: number) => (rtt === null ? "" : `${formatBits((window * 8) / rtt)}`);
  const at = rtt === null ? "" : ` at ${formatDuration(rtt)}`;

  if (!known) {
    notes.push("Capture A taken as the client side: same TTLs and no usable timing. Swap the files if it is not.");
  }
  const frames = (pick: (c: ConnectionSummary) => SynSummary | null) => ({
    a: pick(ctx.a.conn)?.frame ?? 0,
    b: pick(ctx.b.conn)?.frame ?? 0,
  });

  const synDiff = synDiffs(
    cs.conn.client.syn,
    ss.conn.client.syn,
    "SYN",
    "client-to-server",
    frames((c) => c.client.syn),
  );
  const ackDiff = synDiffs(
    ss.conn.server.syn,
    cs.conn.server.syn,
    "SYN-ACK",
    "server-to-client",
    frames((c) => c.server.syn),
  );
  const diffs = [...synDiff, ...ackDiff];
  if (ctx.proxy) {
    // Two connections: the differences are listed, but only the proxy itself is a finding.
    findings.push(proxyFinding(ctx, cs, ss, long, short, rate, at));
    return { diffs, findings, notes, verdict: "proxy", serverDeclined: false };
  }
  const haveSyn = cs.conn.client.syn !== null && ss.conn.client.syn !== null;
  const haveAck = cs.conn.server.syn !== null && ss.conn.server.syn !== null;
  if (!haveSyn && !haveAck) {
    notes.push("No handshake to compare: neither the SYN nor the SYN-ACK is in both captures.");
    return { diffs, findings, notes, verdict: "no-handshake", serverDeclined: false };
  }
  if (!haveSyn) notes.push("Only the SYN-ACK is compared: the SYN is not in both captures.");
  if (!haveAck) notes.push("Only the SYN is compared: the SYN-ACK is not in both captures.");

  // What each end believes: the client from what passed the client side, the server from the server side.
  const clientEnd = endScaling(cs.conn.client.syn, cs.conn.server.syn);
  const serverEnd = endScaling(ss.conn.server.syn, ss.conn.client.syn);
  const rawClient = cs.conn.client.maxWindowRaw;
  const rawServer = ss.conn.server.maxWindowRaw;
  const mismatches: { owner: "client" | "server"; applied: number; believed: number }[] = [];
  if (clientEnd && serverEnd) {
    if (clientEnd.own !== serverEnd.peer)
      mismatches.push({ owner: "client", applied: clientEnd.own, believed: serverEnd.peer });
    if (serverEnd.own !== clientEnd.peer)
      mismatches.push({ owner: "server", applied: serverEnd.own, believed: clientEnd.peer });
  }
  const effect = (): string => {
    if (!clientEnd || !serverEnd) return "";
    if (mismatches.length === 0) {
      if (!clientEnd.on && !serverEnd.on)
        return ` Both ends agree that scaling is off: windows are capped at ${MAX_UNSCALED_WINDOW} bytes${rtt === null ? "" : ` (${rate(MAX_UNSCALED_WINDOW)}${at})`}.`;
      return ` Both ends still agree on the shifts: the client scales by ${clientEnd.own}, the server by ${serverEnd.own}.`;
    }
    const parts = mismatches.map((m) => {
      const reader = m.owner === "client" ? "server" : "client";
      const ownerEnd = m.owner === "client" ? clientEnd : serverEnd;
      const readerEnd = m.owner === "client" ? serverEnd : clientEnd;
      const raw = m.owner === "client" ? rawClient : rawServer;
      let s = `the ${m.owner} scales its windows by ${m.applied}${ownerEnd.on ? "" : " (it believes scaling is off)"}, the ${reader} believes ${m.believed}${readerEnd.on ? "" : " (it believes scaling is off)"}`;
      if (raw !== null && raw > 0) {
        const meant = raw * 2 ** m.applied;
        const read = raw * 2 ** m.believed;
        s += `: the ${m.owner}'s raw window of up to ${raw} means ${meant} bytes, the ${reader} reads ${read} bytes`;
        if (rtt !== null && read < meant)
          s += `, so the ${reader} sends at most ${rate(read)} instead of ${rate(meant)}${at}`;
        else if (read > meant) s += `, so the ${reader} may send past the ${m.owner}'s real window`;
      }
      return s;
    });
    const text = parts.join("; ");
    return ` ${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  };
  const worst: Severity = mismatches.length > 0 ? "error" : "warn";

  for (const d of diffs) {
    const up = d.direction === "client-to-server" ? cs : ss;
    const down = d.direction === "client-to-server" ? ss : cs;
    const role = d.direction === "client-to-server" ? "client" : "server";
    const upSyn = role === "client" ? up.conn.client.syn! : up.conn.server.syn!;
    const downSyn = role === "client" ? down.conn.client.syn! : down.conn.server.syn!;
    const where = `between capture ${letter(up)} and capture ${letter(down)}`;
    const left = `The ${role}'s ${d.packet} left ${long(up, upSyn.frame)}`;
    const reached = `reached ${long(down, downSyn.frame)}`;
    const evidence = [
      {
        frame: upSyn.frame,
        input: up.input,
        note: `${d.packet} as it passed first: ${describeSyn(upSyn)}`,
      },
      {
        frame: downSyn.frame,
        input: down.input,
        note: `the same ${d.packet} (ISN ${upSyn.isn === downSyn.isn ? downSyn.isn : `${downSyn.isn}, was ${upSyn.isn}`}) as it arrived: ${describeSyn(downSyn)}`,
      },
    ];
    const endpoints = () => ({
      clientSide: endpointsFrom(cs.conn.client, cs.conn.server, cs.input),
      serverSide: endpointsFrom(ss.conn.client, ss.conn.server, ss.input),
    });
    const finding = (fid: string, severity: Severity, message: string, advice: Advice[]): CompareFinding => ({
      id: fid,
      severity,
      confidence: "certain",
      connection: id,
      direction: d.direction,
      message,
      evidence,
      advice,
      diff: d,
    });
    const dir = DIRECTION_WORDS[d.direction];

    if (d.field === "wscale") {
      const { clientSide, serverSide } = endpoints();
      const problem = wscaleProblem(d, role);
      const advice = wscaleAdvice(mismatches, clientSide, serverSide, problem, rtt, role);
      let msg: string;
      let fid: string;
      if (d.change === "changed") {
        fid = "path-rewrote-wscale";
        msg = `${left} with wscale ${d.from} and ${reached} with wscale ${d.to}: a box ${where} rewrote the shift, wscale ${d.from} -> ${d.to}, ${dir}.`;
      } else if (d.change === "cleared") {
        fid = "path-cleared-option";
        msg = `${left} with wscale ${d.from} and ${reached} with the option overwritten with NOPs (${downSyn.options.join(",")}): a box ${where} cleared it in place, ${dir} (nft \`reset tcp option window\`, iptables TCPOPTSTRIP and many firewalls do this).`;
      } else if (d.change === "removed") {
        fid = "path-stripped-wscale";
        msg = `${left} with wscale ${d.from} and ${reached} without it, its option block shortened (${downSyn.options.join(",")}): a box ${where} stripped the window-scale option, ${dir}.`;
      } else {
        fid = "path-added-option";
        msg = `${left} without a window-scale option and ${reached} with wscale ${d.to}: a box ${where} added it, ${dir}.`;
      }
      if (
        role === "client" &&
        d.change !== "added" &&
        d.change !== "changed" &&
        ss.conn.server.syn !== null &&
        ss.conn.server.syn.wscale === null
      ) {
        msg += " The server never saw the offer, so it answered without wscale.";
      }
      msg += effect();
      findings.push(finding(fid, d.change === "added" && mismatches.length === 0 ? "warn" : worst, msg, advice));
      continue;
    }
    if (d.field === "mss" && d.change === "changed") {
      const to = Number(d.to);
      const from = Number(d.from);
      const receiver = role === "client" ? "server" : "client";
      const seg = (role === "client" ? ss.conn.server : cs.conn.client).largestSegment;
      const clamped = to < from;
      findings.push(
        finding(
          "path-clamped-mss",
          clamped ? "info" : "warn",
          `${left} announcing MSS ${from} and ${reached} with MSS ${to}: a box ${where} ${clamped ? "clamps" : "raises"} the MSS, mss ${from} -> ${to}, ${dir}. ` +
            `The ${receiver} sends segments of at most ${to} bytes${upSyn.timestamps && downSyn.timestamps ? ` (${to - 12} with timestamps)` : ""}` +
            (seg > 0 ? `; its largest here was ${seg} bytes` : "") +
            `. ${clamped ? "Usual on PPPoE, VPN and tunnel links (`tcp option maxseg size set`, iptables TCPMSS); not a window-scaling problem." : "An MSS above what the path carries makes large segments disappear (a PMTU black hole)."}`,
          [
            {
              kind: "path",
              command: clamped
                ? `nothing to fix unless ${to} is below what the path needs: check the clamp rule on the box ${where}`
                : `remove the rule that raises the MSS on the box ${where}`,
              why: clamped
                ? "an MSS clamp is normally deliberate (tunnel or PPPoE overhead); a clamp far below the path MTU only costs header overhead"
                : "the peer will send segments larger than the sender asked for",
            },
          ],
        ),
      );
      continue;
    }
    if (d.field === "window") {
      const owner = role === "client" ? "client" : "server";
      const ra = ctx.a.conn[owner];
      const rb = ctx.b.conn[owner];
      const later =
        ra.maxWindowRaw !== rb.maxWindowRaw || ra.minWindowRaw !== rb.minWindowRaw
          ? ` Its later raw windows differ too: ${ra.minWindowRaw}..${ra.maxWindowRaw} in capture A, ${rb.minWindowRaw}..${rb.maxWindowRaw} in capture B.`
          : "";
      findings.push(
        finding(
          "path-rewrote-window",
          later ? "warn" : "info",
          `${left} with window ${d.from} and ${reached} with window ${d.to}: a box ${where} rewrote the window field, ${dir}. ` +
            `The window of a ${d.packet} is never scaled (RFC 7323), so this alone only changes the first flight.${later}`,
          [
            {
              kind: "path",
              command: `look for window rewriting or window clamping on the box ${where}`,
              why: "a box that rewrites windows must apply the negotiated shift to every later window, or it breaks scaled connections",
            },
          ],
        ),
      );
      continue;
    }
    if (d.field === "isn") {
      const delta = (Number(d.to) - Number(d.from)) >>> 0;
      findings.push(
        finding(
          "path-rewrote-isn",
          "info",
          `${left} with ISN ${d.from} and ${reached} with ISN ${d.to} (offset ${delta}): a box ${where} rewrites sequence numbers, ${dir} (a sequence-number randomising firewall). ` +
            "Harmless for window scaling as long as it also translates every acknowledgment and SACK block; firewalls that leave SACK blocks untranslated break SACK loss recovery.",
          [
            {
              kind: "path",
              command:
                "Cisco ASA: `set connection random-sequence-number disable` in the policy-map class of this traffic",
              why: "only needed if loss recovery suffers (SACK blocks the box does not translate are discarded by the receiver)",
            },
          ],
        ),
      );
      continue;
    }
    if (d.field === "tsVal" || d.field === "options") {
      notes.push(
        d.field === "tsVal"
          ? `The ${role}'s ${d.packet} TSval changed between ${short(up)} and ${short(down)} (${d.from} -> ${d.to}): a box rewrites TCP timestamps.`
          : `The ${role}'s ${d.packet} options were reordered between ${short(up)} and ${short(down)}: ${d.from} -> ${d.to}.`,
      );
      continue;
    }
    // Any other option (MSS, SACK-permitted, timestamps, ...): removed, cleared or added.
    const name = OPTION_WORDS[d.field] ?? `option ${d.field}`;
    const cost = OPTION_COST[d.field] ?? "";
    if (d.change === "added") {
      findings.push(
        finding(
          "path-added-option",
          "info",
          `${left} without ${name} and ${reached} with it${d.to !== null && typeof d.to === "number" ? ` (${d.to})` : ""}: a box ${where} added it, ${dir}.`,
          [
            {
              kind: "path",
              command: `check the option rewriting on the box ${where}`,
              why: "a box that adds options speaks for an end that never asked for them",
            },
          ],
        ),
      );
    } else {
      const cleared = d.change === "cleared";
      findings.push(
        finding(
          cleared ? "path-cleared-option" : "path-stripped-option",
          "warn",
          `${left} with ${name} and ${reached} ${cleared ? `with it overwritten with NOPs (${downSyn.options.join(",")})` : `without it, its option block shortened (${downSyn.options.join(",")})`}: a box ${where} ${cleared ? "cleared it in place" : "stripped it"}, ${dir}.${cost ? ` ${cost}` : ""}`,
          [
            {
              kind: "path",
              command: `remove the option-stripping rule on the box ${where}`,
              why: "look for TCPOPTSTRIP (iptables), `reset tcp option` (nftables) or a firewall's TCP-option normalisation",
            },
          ],
        ),
      );
    }
  }

  // What did not change, said where it settles a single capture's doubt.
  const csSyn = cs.conn.client.syn;
  const ssSyn = ss.conn.client.syn;
  const ssAck = ss.conn.server.syn;
  const csAck = cs.conn.server.syn;
  let serverDeclined = false;
  if (
    ssSyn !== null &&
    ssSyn.wscale !== null &&
    ssAck !== null &&
    csAck !== null &&
    ssAck.wscale === null &&
    !ssAck.optionsTruncated &&
    !ackDiff.some((d) => d.field === "wscale")
  ) {
    // Taken at the server itself (its SYN-ACK still has an initial TTL): nothing can be between.
    serverDeclined = hasInitialTtl(ssAck.ttl) && known;
    notes.push(
      serverDeclined
        ? `The server declined scaling: the SYN reached it with wscale ${ssSyn.wscale} (capture ${letter(ss)} is at the server: TTL ${ssAck.ttl}), its SYN-ACK has none at either capture.`
        : `No path change for scaling between the captures: the SYN reached ${short(ss)} with wscale ${ssSyn.wscale}, the SYN-ACK has none at either. The server declined, or a box between it and capture ${letter(ss)} removed it.`,
    );
  }
  if (csSyn !== null && ssSyn !== null && csSyn.wscale === null && ssSyn.wscale === null && !csSyn.optionsTruncated) {
    notes.push("The client offered no window scaling: no wscale in its SYN at either capture.");
  }
  let anyCut = false;
  for (const v of [ctx.a, ctx.b]) {
    const cut = [v.conn.client.syn, v.conn.server.syn].filter((x) => x?.optionsTruncated).length;
    if (cut > 0) anyCut = true;
    if (cut > 0)
      notes.push(
        `Capture ${letter(v)} cut the options of the ${cut === 2 ? "SYN and SYN-ACK" : v.conn.client.syn?.optionsTruncated ? "SYN" : "SYN-ACK"} (snapshot length): what is cut off is not compared.`,
      );
  }
  if (diffs.length === 0)
    notes.push(
      anyCut
        ? "SYN and SYN-ACK agree in everything both captures show (options, window, ISN)."
        : "SYN and SYN-ACK are identical at both captures (options, window, ISN).",
    );
  return { diffs, findings, notes, verdict: diffs.length === 0 ? "unchanged" : "changed", serverDeclined };
}

const OPTION_WORDS: Record<string, string> = {
  mss: "an MSS option",
  sackOK: "SACK-permitted",
  TS: "timestamps",
  tfo: "a TCP Fast Open option",
  mptcp: "an MPTCP option",
};

const OPTION_COST: Record<string, string> = {
  mss: "The receiver then assumes the minimum MSS (536 bytes over IPv4, 1220 over IPv6).",
  sackOK:
    "Without SACK, loss recovery on a long fat path takes a round trip per lost segment. Not a window-scaling problem.",
  TS: "Without timestamps there is no PAWS protection against wrapped sequence numbers (it matters at high rates with large scaled windows) and RTT sampling is coarser.",
};

function synDiffs(
  up: SynSummary | null,
  down: SynSummary | null,
  packet: Packet,
  direction: Direction,
  frames: { a: number; b: number },
): PathDiff[] {
  return up !== null && down !== null ? diffSyn(up, down, packet, direction, frames) : [];
}

function describeSyn(s: SynSummary): string {
  const ws =
    s.wscale !== null ? `wscale ${s.wscale}` : s.optionsTruncated ? "options cut by the snapshot length" : "no wscale";
  return `${ws}, options ${s.options.join(",") || "none"}, window ${s.window}, TTL ${s.ttl}`;
}

function wscaleProblem(d: PathDiff, role: "client" | "server"): string {
  const what = `${role} ${d.packet}s`;
  switch (d.change) {
    case "changed":
      return `it rewrites the window-scale shift in ${what} from ${d.from} to ${d.to}`;
    case "cleared":
      return `it overwrites the window-scale option of ${what} with NOPs`;
    case "removed":
      return `it removes the window-scale option from ${what}`;
    default:
      return `it adds a window-scale option to ${what}`;
  }
}

/**
 * Where both ends disagree about a shift, scaleAdvice for the end whose windows are misread, with
 * the shift both would then agree on (the smaller one); otherwise only the path fix, because no
 * host setting brings scaling back through the box.
 */
function wscaleAdvice(
  mismatches: { owner: "client" | "server"; applied: number; believed: number }[],
  clientSide: { client: Endpoint; server: Endpoint },
  serverSide: { client: Endpoint; server: Endpoint },
  problem: string,
  rtt: number | null,
  sender: "client" | "server",
): Advice[] {
  const forOwner = (owner: "client" | "server", tolerated: number) =>
    scaleAdvice({
      host: owner === "client" ? clientSide.client : serverSide.server,
      hostRole: owner,
      peer: owner === "client" ? clientSide.server : serverSide.client,
      tolerated,
      pathProblem: problem,
      rttSeconds: rtt,
    });
  if (mismatches.length === 0) {
    return forOwner(sender, 0)
      .filter((a) => a.kind === "path")
      .map((a) => ({
        ...a,
        why: `${a.why}. No setting on either host brings scaling back through this box; without the fix every connection on this path is capped at ${MAX_UNSCALED_WINDOW} bytes per round trip`,
      }));
  }
  const out: Advice[] = [];
  const seen = new Set<string>();
  mismatches.forEach((m, i) => {
    for (const a of forOwner(m.owner, Math.min(m.applied, m.believed))) {
      if (i > 0 && a.kind !== "route") continue;
      if (seen.has(a.command)) continue;
      seen.add(a.command);
      out.push(a);
    }
  });
  return out;
}

function proxyFinding(
  ctx: PairContext,
  cs: View,
  ss: View,
  long: (v: View) => string,
  short: (v: View) => string,
  rate: (window: number) => string,
  at: string,
): CompareFinding {
  const offer = (s: SynSummary | null) =>
    s === null
      ? "no SYN seen"
      : s.wscale !== null
        ? `wscale ${s.wscale}`
        : s.optionsTruncated
          ? "wscale unknown"
          : "no wscale";
  const leg = (v: View, proxyRole: "client" | "server") => {
    const c = v.conn.client.syn;
    const s = v.conn.server.syn;
    const state = v.conn.scaling;
    return (
      `on the ${proxyRole === "server" ? "client" : "server"} leg (${short(v)}) the ${proxyRole === "server" ? "client" : "proxy"} offers ${offer(c)} and the ${proxyRole === "server" ? "proxy" : "server"} answers ${offer(s)}, ` +
      (state === "on"
        ? `so scaling is on (${v.conn.client.shift}/${v.conn.server.shift})`
        : state === "off"
          ? `so scaling is off on that leg (${MAX_UNSCALED_WINDOW} bytes per round trip${rate(MAX_UNSCALED_WINDOW) ? `, ${rate(MAX_UNSCALED_WINDOW)}${at}` : ""})`
          : "so scaling on that leg is unknown")
    );
  };
  const ca = ctx.a.conn.client.syn;
  const cb = ctx.b.conn.client.syn;
  const sa = ctx.a.conn.server.syn;
  const sb = ctx.b.conn.server.syn;
  const off = cs.conn.scaling === "off" || ss.conn.scaling === "off";
  const evidence: Evidence[] = [];
  if (ca) evidence.push({ frame: ca.frame, input: 0, note: `SYN, ${describeSyn(ca)}, ISN ${ca.isn}` });
  if (cb) evidence.push({ frame: cb.frame, input: 1, note: `SYN, ${describeSyn(cb)}, ISN ${cb.isn}` });
  if (sa) evidence.push({ frame: sa.frame, input: 0, note: `SYN-ACK, ${describeSyn(sa)}, ISN ${sa.isn}` });
  if (sb) evidence.push({ frame: sb.frame, input: 1, note: `SYN-ACK, ${describeSyn(sb)}, ISN ${sb.isn}` });
  const differs = [
    ca && cb ? `the client's ISN (${ca.isn} in A, ${cb.isn} in B)` : null,
    sa && sb ? `the server's ISN (${sa.isn} in A, ${sb.isn} in B)` : null,
    ca && cb && ca.tsVal !== cb.tsVal ? "the SYN timestamps" : null,
    ca && cb && ca.options.join(",") !== cb.options.join(",") ? "the SYN option layout" : null,
  ].filter((x): x is string => x !== null);
  return {
    id: "path-proxy",
    severity: off ? "warn" : "info",
    confidence: ctx.by === "time" ? "likely" : "certain",
    connection: ctx.a.conn.id,
    direction: "client-to-server",
    message:
      `Everything differs between ${long(cs)} and ${long(ss)}: ${differs.join(", ")}${ctx.by === "time" ? " (the connections match only by the time of their SYNs)" : ""}. ` +
      `A proxy terminates TCP between the two captures and opens its own connection, client to server. Window scaling is negotiated separately on each leg: ` +
      `${leg(cs, "server")}; ${leg(ss, "client")}.` +
      (off ? " The leg without scaling caps the whole transfer." : ""),
    evidence,
    advice: off
      ? [
          {
            kind: "path",
            command:
              "turn window scaling on in the proxy's TCP stack, on both legs, and give it buffers that cover the bandwidth-delay product",
            why: `a proxy's own settings decide the windows of each leg; without scaling one leg carries at most ${MAX_UNSCALED_WINDOW} bytes per round trip`,
          },
        ]
      : [],
  };
}
