import type { Endpoint } from "../connections/endpoint.js";
import { seqDiff } from "../connections/seq.js";
import { MAX_SHIFT } from "../connections/wscale.js";
import type { Confidence } from "./finding.js";

/**
 * What an endpoint's own windows prove about the shift it applies to them, checked before any
 * finding says a box changed something:
 * - "larger": it applies more than s, the shift in force at this capture point (the peer reads
 *   its windows too small: a rewrite to s, or a strip to none);
 * - "none": it applies no shift although s is in force: it never saw its peer's option.
 * Windows alone never prove the exact shift: a receiver whose application reads part of the data
 * makes its window fall by any fraction of what arrived (macOS falls by acked >> 6 at shift 5).
 * They bound it, as stacks keep their right edge from moving left; but some appliances do shrink
 * their windows, so a bound alone accuses nobody: "none" also needs windows that fell by exactly
 * the bytes that arrived, again and again, which is what an unscaled window does.
 */
export interface AppliedShift {
  kind: "larger" | "none";
  applied: number;
  confidence: Confidence;
  frame: number;
  /** The numbers that show it, for the evidence line. */
  note: string;
}

/** A window of at least this many bytes right after the handshake is implausible for any stack. */
export const IMPLAUSIBLE_FIRST_WINDOW = 32 * 1024 * 1024;
/** Window falls needed before they bound the shift (one odd fall is not enough). */
export const MIN_FALLS = 3;
/** Falls by exactly the bytes that arrived needed to call a window unscaled. */
export const MIN_EXACT_FALLS = 2;
/** ... and before that is certain rather than likely. */
export const CERTAIN_EXACT_FALLS = 8;
/** A first window (plus what arrived meanwhile) at most 1/16 of the SYN's says a larger shift is applied. */
export const FIRST_WINDOW_FALL = 16;

export function appliedShift(e: Endpoint): AppliedShift | null {
  const s = e.shift;
  if (s === null) return null;
  const bound = shiftBound(e);
  if (bound !== null && bound.shift === 0 && s > 0 && e.unscaledFalls >= MIN_EXACT_FALLS) {
    return {
      kind: "none",
      applied: 0,
      confidence: e.unscaledFalls >= CERTAIN_EXACT_FALLS ? "certain" : "likely",
      frame: e.shrinkFrame,
      note: `its window fell by exactly the bytes that arrived ${e.unscaledFalls} times, which under shift ${s} would move its right edge left: it does not scale`,
    };
  }
  const first = fromFirstWindow(e, s);
  // A first window that claims a larger shift than the falling windows allow is not evidence.
  if (first?.kind === "larger" && bound !== null && bound.shift < first.applied) return null;
  return first;
}

/**
 * The largest shift this endpoint's falling windows allow: every fall bounds the shift, and the
 * true one is below all of them; the MIN_FALLS-th tightest bound is taken, so that one or two odd
 * falls (a stack that did shrink once) decide nothing. null: too few falls.
 */
export function shiftBound(e: Endpoint): { shift: number; falls: number } | null {
  const b = e.shrinkBounds;
  if (b === null) return null;
  let seen = 0;
  for (let k = 0; k <= MAX_SHIFT; k++) {
    seen += b[k]!;
    if (seen >= MIN_FALLS) return { shift: k, falls: seen };
  }
  return null;
}

/**
 * The first window after the SYN, against the SYN's own (unscaled) window. No stack shrinks its
 * window's right edge: read with shift s, a first window plus the bytes received meanwhile far
 * below the SYN window, and below one MSS (silly-window avoidance keeps real windows above that),
 * means the endpoint shifts by more than s. A first window equal to the SYN window that would be
 * tens of MiB under shift s means it does not shift at all.
 */
function fromFirstWindow(e: Endpoint, s: number): AppliedShift | null {
  const syn = e.syn;
  const peerSyn = e.peer.syn;
  if (syn === null || e.windows === 0 || syn.window === 0) return null;
  const raw = e.rawFirst;
  const bytes = raw * 2 ** s;
  const received = peerSyn === null ? -1 : seqDiff(e.rawFirstAck, (peerSyn.isn + 1) >>> 0);
  const mss = Math.min(peerSyn?.mss ?? 536, 1460);
  if (
    raw > 0 &&
    received >= 0 &&
    received <= 65535 &&
    bytes < mss &&
    (bytes + received) * FIRST_WINDOW_FALL <= syn.window
  ) {
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
