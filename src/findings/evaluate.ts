import type { Connection } from "../connections/connection.js";
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

/** Every rule over one finalised connection. */
export function evaluateFindings(conn: Connection, summary: ConnectionSummary): Finding[] {
  const ctx = { conn, summary };
  const out: Finding[] = [];
  for (const rule of RULES) {
    const found = rule(ctx);
    if (found.length > 0) out.push(...found);
  }
  return out;
}
