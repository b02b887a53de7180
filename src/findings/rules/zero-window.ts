import { formatDuration } from "../../kernel/units.js";
import type { Finding } from "../finding.js";
import { label, plural, type RuleContext, roleOf } from "../rule.js";

/** A stall this long in total (seconds), or this share of the connection, is a warning. */
export const SERIOUS_STALL = 1;
export const SERIOUS_SHARE = 0.25;

/** Zero windows stall a transfer, but they come from the receiving application, not from scaling. */
export function zeroWindow({ conn, summary }: RuleContext): Finding[] {
  const out: Finding[] = [];
  const duration = conn.lastTime - conn.firstTime;
  for (const e of [conn.client, conn.server]) {
    if (e.zeroWindowEpisodes === 0) continue;
    const stall = e.zeroWindowSeconds;
    const serious = stall >= SERIOUS_STALL || (duration > 0 && stall / duration >= SERIOUS_SHARE);
    out.push({
      id: "zero-window",
      severity: serious ? "warn" : "info",
      confidence: "certain",
      connection: summary.id,
      message:
        `The ${label(conn, e)} advertised a zero window ${plural(e.zeroWindows, "time")} in ${plural(e.zeroWindowEpisodes, "episode")}, stalling the ${roleOf(conn, e.peer)} for ` +
        `${formatDuration(stall)} in total${duration > 0 ? ` (${Math.round((stall / duration) * 100)}% of the connection)` : ""}; the ${roleOf(conn, e.peer)} sent ${plural(e.zeroWindowProbes, "window probe")} meanwhile. ` +
        `This is not a window-scaling problem: the ${roleOf(conn, e)}'s application did not read its socket as fast as data arrived.`,
      evidence: [{ frame: e.zeroWindowFirstFrame, note: `first zero window from the ${roleOf(conn, e)}` }],
      advice: [],
    });
  }
  return out;
}
