import type { Endpoint } from "../connections/endpoint.js";
import { seqDiff } from "../connections/seq.js";
import { MAX_SHIFT } from "../connections/wscale.js";
import type { Confidence } from "./finding.js";

/**
 * What an endpoint's own windows prove about the shift it applies to them, checked before any
 * finding says a box changed something:
 * - "confirmed": its windows fell by exactly the acknowledged bytes >> s (s the shift in force
 *   here): it applies s, as negotiated;
 * - "larger": it applies more than s (the peer reads its windows too small: a rewrite to s, or a
 *   strip to none);
 * - "none": it applies no shift although s is in force (it never saw its peer's option).
 */
export interface AppliedShift {
  kind: "confirmed" | "larger" | "none";
  applied: number;
  confidence: Confidence;
  frame: number;
  /** The numbers that show it, for the evidence line. */
  note: string;
}

/** A window of at least this many bytes right after the handshake is implausible for any stack. */
const IMPLAUSIBLE_FIRST_WINDOW = 32 * 1024 * 1024;

export function appliedShift(e: Endpoint): AppliedShift | null {
  const s = e.shift;
  if (s === null) return null;
  return fromDecrements(e, s) ?? fromFirstWindow(e, s);
}

/**
 * Raw windows that fall by exactly acked >> k (the right edge stays put while the application
 * does not read) are the strongest proof there is; k must clearly win the votes.
 */
export function decrementShift(e: Endpoint): { shift: number; votes: number } | null {
  const votes = e.decrementVotes;
  if (votes === null) return null;
  let best = 0;
  let total = 0;
  for (let k = 0; k < votes.length; k++) {
    total += votes[k]!;
    if (votes[k]! > votes[best]!) best = k;
  }
  const n = votes[best]!;
  return n >= 2 && n >= 3 * (total - n) ? { shift: best, votes: n } : null;
}

function fromDecrements(e: Endpoint, s: number): AppliedShift | null {
  const d = decrementShift(e);
  if (d === null) return null;
  const note = `its window fell by exactly the acknowledged bytes >> ${d.shift} on ${d.votes} ACKs`;
  const confidence: Confidence = d.votes >= 3 ? "certain" : "likely";
  const frame = e.decrementFrame;
  if (d.shift === s) return { kind: "confirmed", applied: s, confidence, frame, note };
  if (d.shift > s) return { kind: "larger", applied: d.shift, confidence, frame, note };
  if (d.shift === 0) return { kind: "none", applied: 0, confidence, frame, note };
  return null;
}

/**
 * The first window after the SYN, against the SYN's own (unscaled) window. No stack shrinks its
 * window's right edge (RFC 7323 2.4, RFC 9293): read with shift s, a first window plus the bytes
 * received meanwhile far below the SYN window, and below one MSS (silly-window avoidance keeps
 * real windows above that), means the endpoint shifts by more than s. A first window equal to the
 * SYN window that would be tens of MiB under shift s means it does not shift at all.
 */
function fromFirstWindow(e: Endpoint, s: number): AppliedShift | null {
  const syn = e.syn;
  const peerSyn = e.peer.syn;
  if (syn === null || e.windows === 0 || syn.window === 0) return null;
  const raw = e.rawFirst;
  const bytes = raw * 2 ** s;
  const received = peerSyn === null ? -1 : seqDiff(e.rawFirstAck, (peerSyn.isn + 1) >>> 0);
  const mss = Math.min(peerSyn?.mss ?? 536, 1460);
  if (raw > 0 && received >= 0 && received <= 65535 && bytes < mss && (bytes + received) * 16 <= syn.window) {
    const applied = Math.min(MAX_SHIFT, s + Math.round(Math.log2(syn.window / bytes)));
    if (applied > s) {
      return {
        kind: "larger",
        applied,
        confidence: "likely",
        frame: e.rawFirstFrame,
        note: `first window after the handshake: raw ${raw}, ${bytes} bytes with shift ${s}, after ${syn.window} in its ${synName(e)}`,
      };
    }
  }
  if (s > 0 && raw >= 1024 && Math.abs(raw - syn.window) * 64 <= syn.window && bytes >= IMPLAUSIBLE_FIRST_WINDOW) {
    return {
      kind: "none",
      applied: 0,
      confidence: "likely",
      frame: e.rawFirstFrame,
      note: `first window after the handshake: raw ${raw}, its ${synName(e)} window again (${Math.round(bytes / 1048576)} MiB if shifted by ${s})`,
    };
  }
  return null;
}

function synName(e: Endpoint): string {
  return e.syn?.synAck ? "SYN-ACK" : "SYN";
}
