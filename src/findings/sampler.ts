import type { Finding } from "./finding.js";

/** Up to this many connections, a repetitive note is given per connection; past it, once per input. */
export const PER_CONNECTION_LIMIT = 10;

/** Notes that say the same thing of every healthy connection of a busy capture. */
const SAMPLED = new Set(["scale-unverified"]);

/**
 * A note that would repeat on thousands of connections is counted and summarised once per input
 * (as Zeek samples its weirds): the first few are held back, given per connection if the input
 * ends with no more of them, or replaced by one summary finding if it does not. Memory: at most
 * PER_CONNECTION_LIMIT findings per sampled id.
 */
export class FindingSampler {
  private readonly held = new Map<string, { findings: Finding[]; count: number; ids: string[] }>();

  /** The findings of one connection: returns those to report now, holds back the sampled ones. */
  add(found: Finding[]): Finding[] {
    if (!found.some((f) => SAMPLED.has(f.id))) return found;
    const now: Finding[] = [];
    for (const f of found) {
      if (!SAMPLED.has(f.id)) {
        now.push(f);
        continue;
      }
      let h = this.held.get(f.id);
      if (h === undefined) {
        h = { findings: [], count: 0, ids: [] };
        this.held.set(f.id, h);
      }
      h.count++;
      if (h.ids.length < 5) h.ids.push(f.connection);
      if (h.findings.length < PER_CONNECTION_LIMIT + 1) h.findings.push(f);
    }
    return now;
  }

  /** At the end of the input: the held-back findings, or one summary per sampled id. */
  finish(): Finding[] {
    const out: Finding[] = [];
    for (const h of this.held.values()) {
      if (h.count <= PER_CONNECTION_LIMIT) {
        out.push(...h.findings);
        continue;
      }
      const first = h.findings[0]!;
      out.push({
        ...first,
        message: `${h.count} connections (${h.ids.join(", ")}, ...) are like ${first.connection}. ${first.message}`,
        summaryOf: h.count,
      });
    }
    this.held.clear();
    return out;
  }
}
