import type { Connection } from "../connections/connection.js";
import { captureQuality } from "../connections/quality.js";
import type { ServerProfiles } from "../connections/server-profiles.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Finding } from "./finding.js";
import type { Rule } from "./rule.js";
import { optionClearedNops } from "./rules/option-cleared-nops.js";
import { scaleAsymmetric } from "./rules/scale-asymmetric.js";
import { scaleDeclined } from "./rules/scale-declined.js";
import { scaleRewritten } from "./rules/scale-rewritten.js";
import { scaleStripped } from "./rules/scale-stripped.js";
import { scaleTooSmall } from "./rules/scale-too-small.js";
import { scaleUnknown } from "./rules/scale-unknown.js";
import { scaleUnverified } from "./rules/scale-unverified.js";
import { synCookies } from "./rules/syn-cookies.js";
import { windowEnforcingMiddlebox } from "./rules/window-enforcing-middlebox.js";
import { windowLimited } from "./rules/window-limited.js";
import { wscaleBadLength } from "./rules/wscale-bad-length.js";
import { wscaleOnNonSyn } from "./rules/wscale-on-non-syn.js";
import { wscaleOnSynackWithoutSyn } from "./rules/wscale-on-synack-without-syn.js";
import { wscaleOutOfRange } from "./rules/wscale-out-of-range.js";
import { zeroWindow } from "./rules/zero-window.js";

/** The catalogue of SPEC section 4, the path-breaking diagnoses first. */
const RULES: Rule[] = [
  scaleRewritten,
  scaleStripped,
  scaleAsymmetric,
  optionClearedNops,
  synCookies,
  scaleDeclined,
  windowEnforcingMiddlebox,
  scaleTooSmall,
  windowLimited,
  zeroWindow,
  scaleUnknown,
  scaleUnverified,
  wscaleOnSynackWithoutSyn,
  wscaleOutOfRange,
  wscaleBadLength,
  wscaleOnNonSyn,
];

/** Every rule over one finalised connection. Evidence without a frame is dropped: it shows nothing. */
export function evaluateFindings(
  conn: Connection,
  summary: ConnectionSummary,
  servers: ServerProfiles | null = null,
  onlyCounted: (id: string) => boolean = () => false,
): Finding[] {
  const ctx = { conn, summary, quality: captureQuality(conn), servers, onlyCounted };
  const out: Finding[] = [];
  for (const rule of RULES) {
    for (const f of rule(ctx)) {
      f.evidence = f.evidence.filter((e) => e.frame > 0);
      out.push(f);
    }
  }
  return out;
}
