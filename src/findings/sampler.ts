import type { Finding } from "./finding.js";

/** Up to this many connections, a repetitive note is given per connection; past it, once per input. */
export const PER_CONNECTION_LIMIT = 10;

/** Notes that say the same thing of every healthy connection of a busy capture. */
const SAMPLED = new Set(["scale-unverified"]);

/** Findings whose id is sampled are held back until the sampler knows how many there are. */
export function isSampled(f: Finding): boolean {
  return SAMPLED.has(f.id);
}

/** A connection with its findings as they are to be reported. */
export interface Sampled<C> {
  conn: C;
  findings: Finding[];
}

interface Held<C> {
  conn: C;
  findings: Finding[];
  /** Sampled ids whose verdict (per connection, or one summary) is not known yet. */
  waiting: number;
}

interface SampledId<C> {
  count: number;
  /** The first connections with it, named in the summary. */
  ids: string[];
  /** While undecided (count <= PER_CONNECTION_LIMIT): the connections holding it. */
  held: Held<C>[];
  /** Decided (past the limit): the first connection, which carries the summary at the end. */
  first: Held<C> | null;
}

/**
 * A note that would repeat on thousands of connections is counted and summarised once per input
 * (as Zeek samples its weirds): the connections with it are held back, given with it per
 * connection if the input ends with no more than PER_CONNECTION_LIMIT of them; once there are
 * more, they go without it, and the first one carries one summary finding at the end. Each
 * connection is reported whole, with its final findings, so a streamed report writes it once.
 * Memory: at most PER_CONNECTION_LIMIT + 1 connections held per sampled id.
 */
export class FindingSampler<C> {
  private readonly byId = new Map<string, SampledId<C>>();

  /** Past the limit for this id: a new finding with it is only counted (and its connection named if among the first five). */
  readonly onlyCounted = (id: string): boolean => this.byId.get(id)?.first != null;

  /** One connection and its findings: returns the connections to report now (none, it, or some held back before). */
  add(conn: C, found: Finding[]): Sampled<C>[] {
    if (!found.some(isSampled)) return [{ conn, findings: found }];
    const entry: Held<C> = { conn, findings: found, waiting: 0 };
    const ready: Sampled<C>[] = [];
    for (const f of found) {
      if (!isSampled(f)) continue;
      let s = this.byId.get(f.id);
      if (s === undefined) this.byId.set(f.id, (s = { count: 0, ids: [], held: [], first: null }));
      s.count++;
      if (s.ids.length < 5) s.ids.push(f.connection);
      if (s.first !== null) {
        entry.findings = entry.findings.filter((g) => g !== f);
        continue;
      }
      entry.waiting++;
      s.held.push(entry);
      if (s.count > PER_CONNECTION_LIMIT) {
        // Decided: one summary on the first connection; the others go without this note.
        const [first, ...rest] = s.held;
        s.first = first!;
        s.held = [];
        for (const h of rest) {
          h.findings = h.findings.filter((g) => g.id !== f.id);
          if (--h.waiting === 0) ready.push(h);
        }
      }
    }
    if (entry.waiting === 0 && !ready.includes(entry)) ready.push(entry);
    return ready.map(({ conn, findings }) => ({ conn, findings }));
  }

  /** At the end of the input: the connections still held, with their notes or the summaries. */
  finish(): Sampled<C>[] {
    const out = new Set<Held<C>>();
    for (const [id, s] of this.byId) {
      for (const h of s.held) out.add(h);
      if (s.first === null) continue;
      const h = s.first;
      h.findings = h.findings.map((f) =>
        f.id === id
          ? {
              ...f,
              message: `${s.count} connections (${s.ids.join(", ")}, ...) are like ${f.connection}. ${f.message}`,
              summaryOf: s.count,
            }
          : f,
      );
      out.add(h);
    }
    this.byId.clear();
    return [...out].map(({ conn, findings }) => ({ conn, findings }));
  }
}
