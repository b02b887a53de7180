import type { Finding, ShiftMismatch } from "../findings/finding.js";

/**
 * Per side of a connection, the shift it applies to its windows and the other one its peer reads
 * them with, where a finding proved the two differ.
 */
export interface ReadAs {
  client?: Pick<ShiftMismatch, "applied" | "readWith">;
  server?: Pick<ShiftMismatch, "applied" | "readWith">;
}

/**
 * From the findings that prove a mismatch (Finding.readAs, set by scale-rewritten,
 * scale-asymmetric and scale-stripped): per connection, the shift each side applies and the one
 * its peer really reads its windows with. The first finding that says so for a side is taken.
 */
export function readAsByConnection(findings: readonly Finding[]): Map<string, ReadAs> {
  const out = new Map<string, ReadAs>();
  for (const f of findings) {
    for (const m of f.readAs ?? []) {
      if (m.readWith === m.applied) continue;
      const cur = out.get(f.connection) ?? {};
      cur[m.side] ??= { applied: m.applied, readWith: m.readWith };
      out.set(f.connection, cur);
    }
  }
  return out;
}
