#!/usr/bin/env node
// What the packets of a capture say per TCP connection, read with tshark (not with wscale): the
// skeleton of an entry of test/real-world/expected.json. Findings are not guessed here; each
// supported finding is added by hand from the triage (the `why` of each entry in test/real-world/expected.json).
//
//   node scripts/real-world/expected-skeleton.mjs FILE...     # prints {"<basename>": {...}} as JSON
//
// Per tshark stream: the endpoints (client: the SYN's sender; else the SYN-ACK's receiver; else
// the higher port, as wscale guesses), the first frame, the handshake (complete: SYN and SYN-ACK
// seen, partial: one of them, none), the shift each side offered (its SYN's option: a number,
// null when the SYN carried none, "unknown" when no SYN from it was seen) and the shift applied
// to the windows each side advertises per RFC 7323: min(offered, 14) when both SYNs carried the
// option, 0 when either SYN is known to lack it (or a side offered 0, for that side), otherwise
// null (unknown). tsharkShift is tshark's own tcp.window_size_scalefactor reading, kept next to it
// so that every difference between the two is visible and explained in the README.
import { basename } from "node:path";
import { readPackets } from "./stream.mjs";

const portOf = (endpoint) => Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));

/** The RFC 7323 shift applied to `mine`'s windows, given both sides' offers. */
export function rfcShift(mine, theirs) {
  if (mine === null || theirs === null) return 0;
  if (mine === 0) return 0;
  if (mine === "unknown" || theirs === "unknown") return null;
  return Math.min(mine, 14);
}

export function connectionFacts(stream, pkts) {
  const syns = pkts.filter((p) => p.syn && !p.ackFlag);
  const synAcks = pkts.filter((p) => p.syn && p.ackFlag);
  const sides = [...new Set(pkts.map((p) => p.src))];
  let client = syns.at(-1)?.src ?? null;
  if (client === null && synAcks.length) client = sides.find((s) => s !== synAcks[0].src) ?? null;
  if (client === null) {
    // No SYN or SYN-ACK: the lower port is the server (a guess, as the spec says).
    const [a, b] = sides.length === 2 ? sides : [sides[0], null];
    client = b === null || portOf(a) > portOf(b) ? a : b;
  }
  let server = sides.find((s) => s !== client) ?? null;
  if (server === null) {
    // One direction only: the other end is the destination of its packets; tshark does not list
    // destinations in these fields, so such a stream is reported with server null.
    server = null;
  }
  const offeredBy = (side, list) => {
    const syn = list.filter((p) => p.src === side).at(-1);
    return syn === undefined ? "unknown" : syn.wscale;
  };
  const offered = { client: offeredBy(client, syns), server: offeredBy(server, synAcks) };
  const tsharkShift = (side) => {
    const f = pkts.filter((p) => p.src === side && !p.syn && p.factor !== null).at(-1)?.factor;
    return f === undefined ? undefined : f === -1 ? null : f === -2 ? 0 : Math.log2(f);
  };
  return {
    stream,
    client,
    server,
    firstFrame: pkts[0].frame,
    handshake: syns.length && synAcks.length ? "complete" : syns.length || synAcks.length ? "partial" : "none",
    offered,
    shift: { client: rfcShift(offered.client, offered.server), server: rfcShift(offered.server, offered.client) },
    tsharkShift: { client: tsharkShift(client) ?? null, server: tsharkShift(server) ?? null },
  };
}

export async function fileFacts(file) {
  const byStream = new Map();
  for (const p of await readPackets(file)) {
    if (!byStream.has(p.stream)) byStream.set(p.stream, []);
    byStream.get(p.stream).push(p);
  }
  return [...byStream].map(([s, pkts]) => connectionFacts(s, pkts));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = {};
  for (const file of process.argv.slice(2)) out[basename(file)] = { connections: await fileFacts(file) };
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}
