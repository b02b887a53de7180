#!/usr/bin/env node
// The facts a triage needs about one TCP stream, read with tshark, independently of wscale:
//
//   node scripts/real-world/stream.mjs FILE [STREAM ...]     # default: every stream; one JSON line each
//
// Per stream: the 4-tuple, SYN and SYN-ACK (frame, window, option kinds, shift, TTL), tshark's
// applied shift per side, tshark's analysis flags per side (retransmissions, segments not
// captured, ACKed unseen data, out of order, duplicate records, window full, zero window), and two
// tests that read the packets directly:
// - appliedShift: for each k, how many pairs of consecutive ACKs from a side keep its right edge
//   (ack + raw window << k) fixed while the ack moves: a receiver whose application has not read
//   yet shrinks its window by exactly the bytes it acknowledges, so raw decrements equal to acked
//   bytes / 2^k prove that it applies shift k (Windows: ack +56, window 4380 -> 4366, k = 2);
// - edgeTest: data segments that start at or beyond the receiver's latest ack + raw window (the
//   edge of a box that ignores scaling) and were acknowledged (such a box would have dropped
//   them), and the loss episodes: where each one's first lost byte lies against that edge.
import { spawn } from "node:child_process";

const FIELDS = [
  "frame.number",
  "frame.time_relative",
  "tcp.stream",
  "frame.protocols",
  "ip.src",
  "ipv6.src",
  "tcp.srcport",
  "ip.ttl",
  "ipv6.hlim",
  "ip.id",
  "tcp.flags.syn",
  "tcp.flags.ack",
  "tcp.flags.reset",
  "tcp.flags.fin",
  "tcp.seq",
  "tcp.ack",
  "tcp.len",
  "tcp.window_size_value",
  "tcp.window_size_scalefactor",
  "tcp.option_kind",
  "tcp.options.wscale.shift",
  "tcp.analysis.retransmission",
  "tcp.analysis.fast_retransmission",
  "tcp.analysis.spurious_retransmission",
  "tcp.analysis.out_of_order",
  "tcp.analysis.lost_segment",
  "tcp.analysis.ack_lost_segment",
  "tcp.analysis.duplicate_ack",
  "tcp.analysis.window_full",
  "tcp.analysis.zero_window",
  "tcp.analysis.zero_window_probe",
  "tcp.analysis.keep_alive",
  "tcp.seq_raw",
  "tcp.options.sack.dsack",
];

const FLAGS = {
  retransmission: "tcp.analysis.retransmission",
  fastRetransmission: "tcp.analysis.fast_retransmission",
  spurious: "tcp.analysis.spurious_retransmission",
  outOfOrder: "tcp.analysis.out_of_order",
  previousNotCaptured: "tcp.analysis.lost_segment",
  ackedUnseen: "tcp.analysis.ack_lost_segment",
  dupAck: "tcp.analysis.duplicate_ack",
  windowFull: "tcp.analysis.window_full",
  zeroWindow: "tcp.analysis.zero_window",
  zeroWindowProbe: "tcp.analysis.zero_window_probe",
  keepAlive: "tcp.analysis.keep_alive",
  dsack: "tcp.options.sack.dsack",
};

const endpoint = (ip, port) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);
const last = (v) => (v === undefined || v === "" ? "" : v.split(",").at(-1));

/** The innermost IP layer's value of a field listed once per layer (tunnels). */
function innermost(protocols, ip4, ip6) {
  const layers = protocols.split(":").filter((p) => p === "ip" || p === "ipv6");
  const kind = layers.at(-1);
  const nth = layers.filter((p) => p === kind).length - 1;
  const values = ((kind === "ipv6" ? ip6 : ip4) ?? "").split(",");
  return values[Math.min(nth, values.length - 1)] ?? "";
}

export function readPackets(file, streams = []) {
  const args = ["-r", file, "-n", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a"];
  args.push("-Y", streams.length ? streams.map((s) => `tcp.stream==${s}`).join(" || ") : "tcp");
  for (const f of FIELDS) args.push("-e", f);
  return new Promise((resolve, reject) => {
    const child = spawn("tshark", args, { stdio: ["ignore", "pipe", "pipe"] });
    const out = [];
    let rest = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      const lines = (rest + d).split("\n");
      rest = lines.pop();
      for (const l of lines) if (l) out.push(parse(l));
    });
    child.on("error", reject);
    child.on("close", () => {
      if (rest) out.push(parse(rest));
      resolve(out);
    });
  });
}

function parse(line) {
  const v = Object.fromEntries(line.split("\t").map((x, i) => [FIELDS[i], x]));
  const proto = v["frame.protocols"];
  const kind = proto
    .split(":")
    .filter((p) => p === "ip" || p === "ipv6")
    .at(-1);
  return {
    frame: Number(v["frame.number"]),
    time: Number(v["frame.time_relative"]),
    stream: Number(v["tcp.stream"]),
    src: endpoint(innermost(proto, v["ip.src"], v["ipv6.src"]), last(v["tcp.srcport"])),
    ttl: Number(last(kind === "ipv6" ? v["ipv6.hlim"] : v["ip.ttl"])),
    ipId: last(v["ip.id"]),
    syn: last(v["tcp.flags.syn"]) === "1",
    ackFlag: last(v["tcp.flags.ack"]) === "1",
    rst: last(v["tcp.flags.reset"]) === "1",
    fin: last(v["tcp.flags.fin"]) === "1",
    seq: Number(last(v["tcp.seq"])),
    seqRaw: Number(last(v["tcp.seq_raw"])),
    ack: Number(last(v["tcp.ack"])),
    len: Number(last(v["tcp.len"])),
    win: Number(last(v["tcp.window_size_value"])),
    factor: v["tcp.window_size_scalefactor"] === "" ? null : Number(last(v["tcp.window_size_scalefactor"])),
    optionKinds: v["tcp.option_kind"] ? v["tcp.option_kind"].split(",").map(Number) : [],
    wscale: v["tcp.options.wscale.shift"] === "" ? null : Number(last(v["tcp.options.wscale.shift"])),
    flags: Object.fromEntries(Object.entries(FLAGS).map(([k, f]) => [k, v[f] !== ""])),
  };
}

/** For each k: pairs of consecutive ACKs whose right edge ack + win << k stays within 2^k while the ack moves. */
function appliedShift(pkts) {
  const acks = pkts.filter((p) => !p.syn && p.ackFlag && !p.rst);
  const fixed = new Array(15).fill(0);
  let pairs = 0;
  for (let i = 1; i < acks.length; i++) {
    const a = acks[i - 1];
    const b = acks[i];
    const dAck = b.ack - a.ack;
    if (dAck <= 0 || b.win === a.win || b.win === 0 || a.win === 0) continue;
    pairs++;
    for (let k = 0; k <= 14; k++) {
      if (Math.abs(dAck + (b.win - a.win) * 2 ** k) < 2 ** k) fixed[k]++;
    }
  }
  const best = fixed.reduce((bi, n, k) => (n > fixed[bi] ? k : bi), 0);
  return { pairs, best: fixed[best] > 0 ? best : null, fixedEdgePairs: fixed };
}

/**
 * The unscaled-edge test of a window-enforcing box, for the data `sender` sends. Every
 * transmission remembers the receiver's edge without scaling when it was sent (its latest ack +
 * raw window). A box that ignores the scale drops segments that start at or beyond that edge
 * (conntrack checks the start of a segment against the edge); one such segment acknowledged
 * before it was sent again went through, so no such box is on the path. A loss episode is a
 * cumulative ack value at which the sender retransmits (its first lost byte): under such a box it
 * lies in a segment that reached the edge, never in one wholly inside the window.
 */
function edgeTest(pkts, sender) {
  let ack = null;
  let win = null;
  let highest = null;
  let pending = [];
  const sent = [];
  const episodes = new Map();
  for (const p of pkts) {
    if (p.src !== sender) {
      if (!p.ackFlag || p.syn || p.rst) continue;
      if (ack === null || p.ack >= ack) {
        ack = p.ack;
        win = p.win;
      }
      for (const t of pending) if (p.ack >= t.end) t.delivered = true;
      pending = pending.filter((t) => !t.delivered);
      continue;
    }
    if (p.len === 0 || p.syn) continue;
    const t = {
      frame: p.frame,
      seq: p.seq,
      end: p.seq + p.len,
      edge: ack === null ? null : ack + win,
      delivered: false,
    };
    const first = highest === null || p.seq >= highest;
    // A segment sent again before it was acknowledged: its earlier copy may have been lost.
    pending = pending.filter((o) => !(o.seq < t.end && o.end > t.seq));
    pending.push(t);
    sent.push(t);
    if (first) {
      highest = t.end;
      continue;
    }
    const lostAt = Math.max(ack ?? p.seq, p.seq);
    if (episodes.has(lostAt)) continue;
    const orig = sent.find((o) => o.seq <= lostAt && lostAt < o.end) ?? null;
    const where = orig?.edge == null ? "unknown" : orig.end <= orig.edge ? "below edge" : "at edge";
    const startsInside = orig?.edge != null && orig.seq < orig.edge;
    episodes.set(lostAt, {
      frame: p.frame,
      firstLostByte: lostAt,
      originalFrame: orig?.frame ?? null,
      edge: orig?.edge ?? null,
      where,
      startsInside,
    });
  }
  const beyond = sent.filter((t) => t.edge !== null && t.seq >= t.edge);
  const delivered = beyond.filter((t) => t.delivered);
  const crossing = sent.filter((t) => t.edge !== null && t.seq < t.edge && t.end > t.edge && t.delivered);
  const list = [...episodes.values()];
  return {
    segmentsBeyondRawEdge: beyond.length,
    deliveredBeyondRawEdge: delivered.length,
    deliveredExample: delivered[0] ?? null,
    // Segments that straddle the edge and were delivered: a box that checks a segment's end drops these.
    deliveredAcrossRawEdge: crossing.length,
    deliveredAcrossExample: crossing[0] ?? null,
    // Episodes whose lost segment starts inside the edge: a box that checks a segment's start passes these.
    episodesStartingInside: list.filter((e) => e.startsInside).length,
    episodes: list.length,
    episodesAtEdge: list.filter((e) => e.where === "at edge").length,
    episodesBelowEdge: list.filter((e) => e.where === "below edge").length,
    episodeExamples: list.slice(0, 3),
  };
}

export function summarise(stream, pkts) {
  const first = pkts[0];
  const sides = [...new Set(pkts.map((p) => p.src))];
  const syn = pkts.find((p) => p.syn && !p.ackFlag) ?? null;
  const synAck = pkts.find((p) => p.syn && p.ackFlag) ?? null;
  const client = syn?.src ?? synAck?.src ?? null;
  const opening = (p) =>
    p && {
      frame: p.frame,
      src: p.src,
      window: p.win,
      ttl: p.ttl,
      optionKinds: p.optionKinds,
      wscale: p.wscale,
      tsval: p.optionKinds.includes(8),
    };
  const seen = new Set();
  const perSide = {};
  for (const side of sides) {
    const mine = pkts.filter((p) => p.src === side);
    const other = sides.find((s) => s !== side) ?? null;
    const factor = mine.filter((p) => !p.syn && p.factor !== null).at(-1)?.factor ?? null;
    const shift = factor === null || factor === -1 ? null : factor === -2 ? 0 : Math.log2(factor);
    const flags = Object.fromEntries(Object.keys(FLAGS).map((k) => [k, mine.filter((p) => p.flags[k]).length]));
    // A record captured twice: same IP ID, seq, length and flags as one already seen from this side.
    flags.duplicateRecords = 0;
    for (const p of mine) {
      const key = `${p.src} ${p.ipId} ${p.seqRaw} ${p.len} ${p.ack} ${p.syn}${p.fin}${p.rst}`;
      if (p.ipId !== "" && p.ipId !== "0x0000" && seen.has(key)) flags.duplicateRecords++;
      seen.add(key);
    }
    perSide[side] = {
      packets: mine.length,
      dataBytes: mine.reduce((n, p) => n + p.len, 0),
      tsharkShift: shift,
      rawWindows: {
        first: mine.find((p) => !p.syn)?.win ?? null,
        min: Math.min(...mine.filter((p) => !p.syn).map((p) => p.win)),
        max: Math.max(...mine.filter((p) => !p.syn).map((p) => p.win)),
      },
      ttl: [...new Set(mine.map((p) => p.ttl))],
      tshark: flags,
      appliedShift: appliedShift(mine),
      ...(other ? { edgeTest: edgeTest(pkts, side) } : {}),
    };
  }
  return {
    stream,
    firstFrame: first.frame,
    lastFrame: pkts.at(-1).frame,
    packets: pkts.length,
    durationS: Number((pkts.at(-1).time - first.time).toFixed(6)),
    client,
    syn: opening(syn),
    synAck: opening(synAck),
    sides: perSide,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, ...streams] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: stream.mjs FILE [STREAM ...]\n");
    process.exit(2);
  }
  for (const s of await streamFacts(file, streams)) process.stdout.write(`${JSON.stringify(s)}\n`);
}

/** Every stream of a file, summarised. */
export async function streamFacts(file, streams = []) {
  const byStream = new Map();
  for (const p of await readPackets(file, streams)) {
    if (!byStream.has(p.stream)) byStream.set(p.stream, []);
    byStream.get(p.stream).push(p);
  }
  return [...byStream].map(([s, pkts]) => summarise(s, pkts));
}
