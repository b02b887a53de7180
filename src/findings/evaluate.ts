import type { Connection } from "../connections/connection.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Finding } from "./finding.js";
import type { Rule } from "./rule.js";
import { wscaleBadLength } from "./rules/wscale-bad-length.js";
import { wscaleOnNonSyn } from "./rules/wscale-on-non-syn.js";
import { wscaleOnSynackWithoutSyn } from "./rules/wscale-on-synack-without-syn.js";
import { wscaleOutOfRange } from "./rules/wscale-out-of-range.js";

const RULES: Rule[] = [wscaleOnSynackWithoutSyn, wscaleOutOfRange, wscaleBadLength, wscaleOnNonSyn];

/** Every rule over one finalised connection. */
export function evaluateFindings(conn: Connection, summary: ConnectionSummary): Finding[] {
  const ctx = { conn, summary };
  return RULES.flatMap((rule) => rule(ctx));
}
