import type { Finding } from "../findings/finding.js";

/** The shift each side's windows are read with by its peer, where it differs from the one the side applies. */
export interface ReadAs {
  client?: number;
  server?: number;
}

/**
 * From the findings that prove a mismatch (Finding.readAs, set by scale-rewritten and
 * scale-asymmetric): per connection, the shift a peer really reads each side's windows with.
 * Only sides whose peer reads another shift than the one they apply are listed.
 */
export function readAsByConnection(findings: readonly Finding[]): Map<string, ReadAs> {
  const out = new Map<string, ReadAs>();
  for (const f of findings) {
    for (const m of f.readAs ?? []) {
      if (m.readWith === m.applied) continue;
      const cur = out.get(f.connection) ?? {};
      cur[m.side] ??= m.readWith;
      out.set(f.connection, cur);
    }
  }
  return out;
}
