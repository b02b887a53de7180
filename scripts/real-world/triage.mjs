#!/usr/bin/env node
// First pass of the triage: every warn/error finding of an eval.mjs summary, next to what the
// packets of its TCP stream say (scripts/real-world/stream.mjs), with a proposed verdict and the
// signal behind it. The verdicts are a starting point for reading the packets, not the triage:
// the `why` of each entry in test/real-world/expected.json records what was checked by hand.
//
//   node scripts/real-world/triage.mjs EVAL.json [--out triage.json]
//
// Prints one line per finding (id, verdict, signal, file, stream) and writes the details as JSON.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { streamFacts } from "./stream.mjs";

const MSS_KIND = 2;
const SACK_KIND = 4;
const TS_KIND = 8;
const WSCALE_KIND = 3;

/** The side a finding accuses or is about, from its direction (each rule's convention). */
function subject(finding, conn) {
  const first = finding.direction === "client-to-server" ? conn.client : conn.server;
  const second = first === conn.client ? conn.server : conn.client;
  switch (finding.id) {
    case "scale-asymmetric": // direction: towards the end that does not scale
      return { side: second, peer: first };
    case "scale-stripped":
    case "scale-declined":
    case "syn-cookies":
      return { side: conn.server, peer: conn.client };
    default: // the sender of the segments, or the SYN, the finding is about
      return { side: first, peer: second };
  }
}

/** Pairs whose right edge stayed fixed under shift k, counting only window moves of 2+ units (1 unit can be rounding). */
function fixedUnder(facts, k) {
  return facts?.appliedShift.fixedEdgePairs[k] ?? 0;
}

function judge(finding, conn, stream) {
  const { side, peer } = subject(finding, conn);
  const me = stream?.sides[side];
  const other = stream?.sides[peer];
  const shift = conn.shift[side === conn.client ? "client" : "server"];
  const frames = finding.evidence.map((e) => e.frame);
  const notes = [];
  if (frames.includes(0)) notes.push("evidence frame 0");
  const quality = [me, other].filter(Boolean).reduce(
    (q, s) => ({
      ackedUnseen: q.ackedUnseen + s.tshark.ackedUnseen,
      notCaptured: q.notCaptured + s.tshark.previousNotCaptured,
      outOfOrder: q.outOfOrder + s.tshark.outOfOrder,
      duplicates: q.duplicates + s.tshark.duplicateRecords,
    }),
    { ackedUnseen: 0, notCaptured: 0, outOfOrder: 0, duplicates: 0 },
  );
  if (quality.ackedUnseen + quality.notCaptured)
    notes.push(
      `capture gaps (${quality.ackedUnseen} ACKed unseen, ${quality.notCaptured} previous segment not captured)`,
    );
  if (quality.duplicates) notes.push(`${quality.duplicates} duplicate records`);
  if (!stream) return { verdict: "can't tell", signal: "no tshark stream matched", notes };

  switch (finding.id) {
    case "scale-asymmetric": {
      const atShift = fixedUnder(me, shift);
      const atZero = fixedUnder(me, 0);
      if (atShift > 0 && atShift > atZero)
        return {
          verdict: "disproved",
          signal: `raw window moves with acked bytes / 2^${shift} on ${atShift} ACK pairs (unscaled: ${atZero})`,
          notes,
        };
      if (other?.edgeTest?.deliveredBeyondRawEdge > 0)
        return {
          verdict: "disproved",
          signal: `peer sent ${other.edgeTest.deliveredBeyondRawEdge} segments starting beyond the accused side's unscaled window, and it acknowledged them (e.g. frame ${other.edgeTest.deliveredExample.frame})`,
          notes,
        };
      if (atZero >= 2 && atZero > atShift)
        return {
          verdict: "holds",
          signal: `right edge fixed unscaled on ${atZero} pairs, scaled on ${atShift}`,
          notes,
        };
      return {
        verdict: "can't tell",
        signal: `no window movement to read (pairs ${me?.appliedShift.pairs ?? 0})`,
        notes,
      };
    }
    case "option-cleared-nops": {
      const syn = stream[conn.client === side ? "syn" : "synAck"] ?? stream.syn;
      const kinds = syn?.optionKinds ?? [];
      const all = [MSS_KIND, WSCALE_KIND, SACK_KIND, TS_KIND].filter((k) => kinds.includes(k));
      if (kinds.includes(WSCALE_KIND) && kinds.includes(SACK_KIND) && kinds.includes(TS_KIND))
        return {
          verdict: "disproved",
          signal: `every option a stack sends is there (${kinds.join(",")}): the NOPs are the stack's padding`,
          notes,
        };
      return { verdict: "can't tell", signal: `options ${kinds.join(",")} (present: ${all.join(",")})`, notes };
    }
    case "window-enforcing-middlebox": {
      const t = me?.edgeTest;
      if (!t) return { verdict: "can't tell", signal: "the receiver sent nothing", notes };
      const counts = `${t.episodes} loss episodes (${t.episodesAtEdge} at the unscaled edge, ${t.episodesBelowEdge} inside it), ${t.segmentsBeyondRawEdge} segments beyond it`;
      if (t.deliveredBeyondRawEdge > 0)
        return {
          verdict: "disproved",
          signal: `${t.deliveredBeyondRawEdge} of ${t.segmentsBeyondRawEdge} segments starting at or beyond ack + raw window were acknowledged (e.g. frame ${t.deliveredExample.frame}: seq ${t.deliveredExample.seq}, edge ${t.deliveredExample.edge}); ${counts}`,
          notes,
        };
      if (t.deliveredAcrossRawEdge > 0 && t.episodes > 0 && t.episodesStartingInside === t.episodes)
        return {
          verdict: "disproved",
          signal: `${t.deliveredAcrossRawEdge} segments across ack + raw window were acknowledged (e.g. frame ${t.deliveredAcrossExample.frame}: seq ${t.deliveredAcrossExample.seq}-${t.deliveredAcrossExample.end}, edge ${t.deliveredAcrossExample.edge}) and every lost segment started inside it; ${counts}`,
          notes,
        };
      if (other.tshark.dsack > 0)
        return {
          verdict: "disproved",
          signal: `the receiver sent ${other.tshark.dsack} D-SACKs: it received the 'lost' data twice, the retransmissions were spurious; ${counts}`,
          notes,
        };
      if (other.packets <= 2 && me.packets > 20)
        return {
          verdict: "disproved",
          signal: `the receiver's ACKs are not in the capture (${other.packets} packets from it, ${me.packets} from the sender): one direction captured; ${counts}`,
          notes,
        };
      if (me.tshark.duplicateRecords > 0 && me.tshark.duplicateRecords >= me.tshark.retransmission / 2)
        return {
          verdict: "disproved",
          signal: `${me.tshark.duplicateRecords} of the sender's records were captured twice (same IP ID, seq, length): duplicates, not retransmissions; ${counts}`,
          notes,
        };
      if (t.episodesBelowEdge > 0)
        return { verdict: "disproved", signal: `loss inside the unscaled window: ${counts}`, notes };
      if (conn.handshake !== "complete")
        return {
          verdict: "can't tell",
          signal: `handshake ${conn.handshake}: the receiver's shift is unknown; ${counts}`,
          notes,
        };
      if (t.episodes < 3) return { verdict: "can't tell", signal: `too few episodes: ${counts}`, notes };
      return { verdict: "holds", signal: counts, notes };
    }
    case "scale-rewritten": {
      const atShift = fixedUnder(me, shift);
      const best = me?.appliedShift.best;
      if (best !== null && best !== undefined && best !== shift && fixedUnder(me, best) >= 2)
        return {
          verdict: "holds?",
          signal: `the side's own windows keep the right edge under shift ${best}, not ${shift} (${fixedUnder(me, best)} vs ${atShift} pairs)`,
          notes,
        };
      if (atShift >= 2)
        return {
          verdict: "disproved",
          signal: `the side's windows move by acked / 2^${shift} on ${atShift} pairs: it applies the shift seen here`,
          notes,
        };
      return { verdict: "can't tell", signal: `pairs: ${JSON.stringify(me?.appliedShift)}`, notes };
    }
    case "scale-stripped":
    case "scale-declined": {
      const syn = stream.syn;
      const synAck = stream.synAck;
      if (syn?.wscale !== null && synAck && synAck.wscale === null)
        return {
          verdict: "holds",
          signal: `SYN frame ${syn.frame} offers ${syn.wscale}, SYN-ACK frame ${synAck.frame} has none (options ${synAck.optionKinds.join(",")}, TTL ${synAck.ttl})`,
          notes,
        };
      return { verdict: "can't tell", signal: `SYN ${JSON.stringify(syn)} SYN-ACK ${JSON.stringify(synAck)}`, notes };
    }
    default:
      return { verdict: "can't tell", signal: "no automatic check for this id", notes };
  }
}

const ipOf = (endpoint) => endpoint.replace(/^\[?(.*?)\]?:\d+$/, "$1");

/**
 * Capture-wide controls for what one connection cannot tell: the same host's other connections
 * in the same capture. A stack that provably applies its shift elsewhere, with the same SYN layout
 * and window, applies it here too; a host whose other connections stall the same way with all data
 * inside the unscaled window, or deliver data beyond it, has no window-enforcing box in front of it.
 */
function control(row, streams) {
  const { side } = subject(row.finding, row.connection);
  const shift = row.connection.shift[side === row.connection.client ? "client" : "server"];
  if (row.id === "scale-asymmetric") {
    const opening = (s, e) => (s.syn?.src === e ? s.syn : s.synAck?.src === e ? s.synAck : null);
    const mine = opening(row.facts, side);
    const proof = streams.find(
      (s) =>
        s.stream !== row.stream &&
        Object.entries(s.sides).some(([e, f]) => {
          const o = opening(s, e);
          return (
            ipOf(e) === ipOf(side) &&
            o?.window === mine?.window &&
            o?.optionKinds.join() === mine?.optionKinds.join() &&
            f.appliedShift.fixedEdgePairs[shift] > f.appliedShift.fixedEdgePairs[0]
          );
        }),
    );
    if (proof)
      return {
        verdict: "disproved",
        signal: `control: ${ipOf(side)} with the same SYN layout and window applies shift ${shift} in stream ${proof.stream} (raw window moves with acked bytes / 2^${shift})`,
      };
  }
  if (row.id === "window-enforcing-middlebox" && (row.facts?.sides[side]?.edgeTest?.episodes ?? 0) <= 1) {
    const others = streams.filter((s) => s.stream !== row.stream);
    const fromHost = (s) => Object.entries(s.sides).filter(([e]) => ipOf(e) === ipOf(side));
    const inside = others.filter((s) => fromHost(s).some(([, f]) => f.edgeTest?.episodesBelowEdge > 0));
    const beyond = others.filter((s) => fromHost(s).some(([, f]) => f.edgeTest?.deliveredBeyondRawEdge > 0));
    if (inside.length + beyond.length > 0)
      return {
        verdict: "disproved",
        signal: `control: one episode here; ${ipOf(side)}'s other connections stall the same way with all data inside the unscaled window on ${inside.length} streams (e.g. ${inside[0]?.stream ?? "-"}) and deliver data beyond it on ${beyond.length} (e.g. ${beyond[0]?.stream ?? "-"})`,
      };
  }
  return null;
}

async function main() {
  const args = process.argv.slice(2);
  const evalPath = args[0];
  if (!evalPath) throw new Error("usage: triage.mjs EVAL.json [--out FILE]");
  const outIdx = args.indexOf("--out");
  const out = outIdx >= 0 ? resolve(args[outIdx + 1]) : join(tmpdir(), "wscale-real-world", "triage.json");
  const summary = JSON.parse(readFileSync(evalPath, "utf8"));
  const rows = [];
  for (const file of summary.files.filter((f) => f.findings?.length)) {
    const path = join(summary.dir, file.file);
    const streams = await streamFacts(path);
    const key = (a, b) => [a, b].sort().join(" ");
    for (const finding of file.findings) {
      const conn = file.connections.find((c) => c.id === finding.connection);
      const candidates = streams.filter(
        (s) =>
          key(
            ...Object.keys(s.sides),
            ...(Object.keys(s.sides).length === 1
              ? [conn.client === Object.keys(s.sides)[0] ? conn.server : conn.client]
              : []),
          ) === key(conn.client, conn.server),
      );
      const stream =
        candidates.find((s) => s.firstFrame === conn.firstFrame) ??
        candidates.sort(
          (a, b) => Math.abs(a.firstFrame - conn.firstFrame) - Math.abs(b.firstFrame - conn.firstFrame),
        )[0];
      const row = {
        file: file.file,
        id: finding.id,
        severity: finding.severity,
        confidence: finding.confidence,
        connection: conn,
        stream: stream?.stream ?? null,
        finding,
        facts: stream ?? null,
      };
      let j = judge(finding, conn, stream);
      if (j.verdict === "can't tell" && stream) j = { ...j, ...(control(row, streams) ?? {}) };
      rows.push({ ...row, ...j });
      process.stdout.write(
        `${finding.id.padEnd(28)} ${j.verdict.padEnd(10)} ${file.file} s${stream?.stream ?? "?"} ${conn.id} | ${j.signal}${j.notes.length ? ` | ${j.notes.join("; ")}` : ""}\n`,
      );
    }
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(rows, null, 1)}\n`);
  process.stderr.write(`${rows.length} findings; details in ${out}\n`);
}

main().catch((e) => {
  process.stderr.write(`triage.mjs: ${e.message}\n`);
  process.exit(2);
});
