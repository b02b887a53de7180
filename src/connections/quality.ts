import type { Connection } from "./connection.js";

export type CaptureQuality = "good" | "fair" | "poor";

/** How much of a connection the capture itself got wrong: what was missed, reordered or doubled. */
export interface CaptureQualitySummary {
  quality: CaptureQuality;
  /** Data the peer acknowledged that the capture never saw (Wireshark: "ACKed segment that wasn't captured"). */
  uncapturedBytes: number;
  /** In how many separate gaps. */
  uncapturedGaps: number;
  /** Segments that filled a gap within an RTT of it opening: reordered by the network or by the capture, not lost. */
  outOfOrder: number;
  /** The same record captured twice: counted once. */
  duplicates: number;
  /** Records stamped earlier than the one before them. */
  timeReversed: number;
}

/** Gaps the capture missed before the connection's capture is poor (one or two weaken nothing). */
export const POOR_GAPS = 3;
/** Records doubled or out of time order before it is poor, if also at least this share of its packets. */
export const POOR_DOUBTFUL = 3;
export const POOR_DOUBTFUL_SHARE = 0.01;

export function captureQuality(conn: Connection): CaptureQualitySummary {
  const c = conn.client;
  const s = conn.server;
  const uncapturedBytes = c.uncapturedBytes + s.uncapturedBytes;
  const uncapturedGaps = c.uncapturedGaps + s.uncapturedGaps;
  const outOfOrder = c.outOfOrder + s.outOfOrder;
  const duplicates = c.duplicates + s.duplicates;
  const timeReversed = conn.timeReversed;
  const doubtful = duplicates + timeReversed;
  let quality: CaptureQuality = "good";
  if (uncapturedGaps + doubtful > 0) quality = "fair";
  // One gap or one odd record weakens nothing; several do, and so do holes too many to track.
  if (
    uncapturedGaps >= POOR_GAPS ||
    (doubtful >= POOR_DOUBTFUL && doubtful >= conn.packets * POOR_DOUBTFUL_SHARE) ||
    c.holes.gaveUpBelow >= 0 ||
    s.holes.gaveUpBelow >= 0
  ) {
    quality = "poor";
  }
  return { quality, uncapturedBytes, uncapturedGaps, outOfOrder, duplicates, timeReversed };
}

/** Why pattern-based evidence is weaker on this connection, in words; "" when the capture is clean. */
export function qualityCaveat(q: CaptureQualitySummary): string {
  if (q.quality === "good") return "";
  const parts: string[] = [];
  if (q.uncapturedGaps > 0)
    parts.push(
      `${q.uncapturedBytes} acknowledged bytes in ${q.uncapturedGaps} gap${q.uncapturedGaps === 1 ? "" : "s"} were never captured`,
    );
  if (q.duplicates > 0) parts.push(`${q.duplicates} record${q.duplicates === 1 ? " was" : "s were"} captured twice`);
  if (q.timeReversed > 0)
    parts.push(`${q.timeReversed} record${q.timeReversed === 1 ? " is" : "s are"} out of time order`);
  return `The capture itself is ${q.quality}: ${parts.join(", ")}.`;
}
