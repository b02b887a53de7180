/**
 * FindingSampler: a note that would repeat on every connection of a busy capture (scale-unverified) is given per
 * connection up to PER_CONNECTION_LIMIT connections, and past it once per input, as a summary on the first
 * connection. Connections with the note are held until that is decided; each is released exactly once, whole.
 */
import { describe, expect, it } from "vitest";
import type { Connection } from "../src/connections/connection.js";
import { summarize } from "../src/connections/summary.js";
import { ConnectionTracker } from "../src/connections/tracker.js";
import { evaluateFindings } from "../src/findings/evaluate.js";
import type { Finding } from "../src/findings/finding.js";
import { FindingSampler, isSampled, PER_CONNECTION_LIMIT, type Sampled } from "../src/findings/sampler.js";
import { C, handshake, S } from "./helpers/downloads.js";
import { makeSegment, type SegmentSpec } from "./helpers/segments.js";

const SAMPLED_ID = "scale-unverified";

/** The connection named n in findings ("c1", "c2", ...), and its stand-in object for the sampler. */
const name = (n: number): string => `c${n}`;
const conn = (n: number): { n: number } => ({ n });

function note(n: number): Finding {
  return {
    id: SAMPLED_ID,
    severity: "info",
    confidence: "certain",
    connection: name(n),
    message: `note of ${name(n)}`,
    evidence: [{ frame: n, note: "raw window 100" }],
    advice: [],
  };
}

function other(n: number, id = "window-limited"): Finding {
  return {
    id,
    severity: "warn",
    confidence: "likely",
    connection: name(n),
    message: `${id} of ${name(n)}`,
    evidence: [],
    advice: [],
  };
}

/** Findings of connection n: another finding, the sampled note, another one after it. */
const found = (n: number): Finding[] => [other(n), note(n), other(n, "zero-window")];

/** Connections 1..count added in order, each with found(n): what each add returned. */
function addAll(sampler: FindingSampler<{ n: number }>, from: number, to: number): Sampled<{ n: number }>[][] {
  const out: Sampled<{ n: number }>[][] = [];
  for (let n = from; n <= to; n++) out.push(sampler.add(conn(n), found(n)));
  return out;
}

const released = (r: Sampled<{ n: number }>[]) => r.map((s) => s.conn.n);
const without = (n: number): Sampled<{ n: number }> => ({
  conn: conn(n),
  findings: [other(n), other(n, "zero-window")],
});
const whole = (n: number): Sampled<{ n: number }> => ({ conn: conn(n), findings: found(n) });

describe("which findings are sampled", () => {
  it("scale-unverified is, any other id is not", () => {
    expect(isSampled(note(1))).toBe(true);
    expect(isSampled(other(1))).toBe(false);
    expect(isSampled(other(1, "scale-rewritten"))).toBe(false);
  });

  it("the note scale-unverified gives on a real quiet connection is the sampled one", () => {
    // Scaling on, the client's raw window 100 (12,800 bytes), one data segment towards it: too little to tell.
    const specs: SegmentSpec[] = [
      ...handshake(7, 7),
      { from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 100, time: 0.06 },
      { from: S, to: C, flags: "P.", seq: 5001, ack: 1001, win: 509, len: 100, time: 0.1 },
      { from: C, to: S, flags: ".", seq: 1001, ack: 5101, win: 100, time: 0.13 },
    ];
    const finals: Finding[][] = [];
    let last: Connection | null = null;
    const tracker = new ConnectionTracker({
      idleTimeout: 300,
      onFinal: (c) => {
        finals.push(evaluateFindings(c, summarize(c)));
        last = c;
      },
    });
    for (const s of specs) tracker.segment(makeSegment(s));
    tracker.flush();
    expect(finals.length).toBe(1);
    expect(finals[0]!.filter(isSampled).map((f) => f.id)).toEqual([SAMPLED_ID]);
    // Once the sampler only counts the note, the rule builds no text for it (only the count is kept).
    const c = last!;
    const brief = evaluateFindings(c, summarize(c), null, (id) => id === SAMPLED_ID).filter(isSampled);
    expect(brief).toEqual([
      {
        id: SAMPLED_ID,
        severity: "info",
        confidence: "certain",
        connection: "c1",
        message: "",
        evidence: [],
        advice: [],
      },
    ]);
    expect(evaluateFindings(c, summarize(c), null, (id) => id !== SAMPLED_ID).filter(isSampled)[0]!.message).toMatch(
      /^Window scaling is on \(client shift 7, server shift 7\), so the client .* `win 100` means 100 << 7 = 12800 bytes/,
    );
  });
});

describe("connections without a sampled note", () => {
  it("go out at once, as they came, even while others are held; finish does not give them again", () => {
    const sampler = new FindingSampler<{ n: number }>();
    expect(sampler.add(conn(1), found(1))).toEqual([]);
    const plain = [other(2), other(2, "zero-window")];
    const out = sampler.add(conn(2), plain);
    expect(out).toEqual([{ conn: conn(2), findings: plain }]);
    expect(out[0]!.findings).toBe(plain);
    expect(sampler.add(conn(3), [])).toEqual([{ conn: conn(3), findings: [] }]);
    expect(sampler.finish()).toEqual([whole(1)]);
  });
});

describe(`up to PER_CONNECTION_LIMIT (${PER_CONNECTION_LIMIT}) connections: the note on each`, () => {
  it("the limit is 10", () => {
    expect(PER_CONNECTION_LIMIT).toBe(10);
  });

  it(`${PER_CONNECTION_LIMIT} connections are all held, then given whole at the end in the order they came`, () => {
    const sampler = new FindingSampler<{ n: number }>();
    const adds = addAll(sampler, 1, PER_CONNECTION_LIMIT);
    expect(adds).toEqual(Array.from({ length: PER_CONNECTION_LIMIT }, () => []));
    const end = sampler.finish();
    expect(end).toEqual(Array.from({ length: PER_CONNECTION_LIMIT }, (_, i) => whole(i + 1)));
    expect(end.every((s) => s.findings.every((f) => f.summaryOf === undefined))).toBe(true);
    // Given once: nothing is left for a second finish.
    expect(sampler.finish()).toEqual([]);
  });

  it("a connection alone keeps its note (no summary of one)", () => {
    const sampler = new FindingSampler<{ n: number }>();
    expect(sampler.add(conn(7), [note(7)])).toEqual([]);
    expect(sampler.finish()).toEqual([{ conn: conn(7), findings: [note(7)] }]);
  });
});

describe(`past PER_CONNECTION_LIMIT: one summary per input`, () => {
  it(`the connection after the limit releases the ones held after the first, in order, without the note`, () => {
    const sampler = new FindingSampler<{ n: number }>();
    const adds = addAll(sampler, 1, PER_CONNECTION_LIMIT + 1);
    expect(adds.slice(0, PER_CONNECTION_LIMIT)).toEqual(Array.from({ length: PER_CONNECTION_LIMIT }, () => []));
    const decided = adds[PER_CONNECTION_LIMIT]!;
    // Connections 2..11, each once (the 11th too, though it both released the others and came last).
    expect(released(decided)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(decided).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(without));
  });

  it("onlyCounted: false up to the limit, true once past it (the rule may skip the text), false again for the next input", () => {
    const sampler = new FindingSampler<{ n: number }>();
    addAll(sampler, 1, PER_CONNECTION_LIMIT);
    expect([sampler.onlyCounted(SAMPLED_ID), sampler.onlyCounted("window-limited")]).toEqual([false, false]);
    addAll(sampler, PER_CONNECTION_LIMIT + 1, PER_CONNECTION_LIMIT + 1);
    expect([sampler.onlyCounted(SAMPLED_ID), sampler.onlyCounted("window-limited")]).toEqual([true, false]);
    sampler.finish();
    expect(sampler.onlyCounted(SAMPLED_ID)).toBe(false);
  });

  it("later connections go out at once, without the note; the first carries the summary at the end", () => {
    const sampler = new FindingSampler<{ n: number }>();
    addAll(sampler, 1, PER_CONNECTION_LIMIT + 1);
    for (let n = PER_CONNECTION_LIMIT + 2; n <= 14; n++) expect(sampler.add(conn(n), found(n))).toEqual([without(n)]);
    // A later connection with the note alone: released at once with no findings left.
    expect(sampler.add(conn(15), [note(15)])).toEqual([{ conn: conn(15), findings: [] }]);
    const end = sampler.finish();
    expect(end).toEqual([
      {
        conn: conn(1),
        findings: [
          other(1),
          {
            ...note(1),
            message: "15 connections (c1, c2, c3, c4, c5, ...) are like c1. note of c1",
            summaryOf: 15,
          },
          other(1, "zero-window"),
        ],
      },
    ]);
    expect(sampler.finish()).toEqual([]);
  });

  it("with exactly PER_CONNECTION_LIMIT + 1 connections, the summary counts them and names the first five", () => {
    const sampler = new FindingSampler<{ n: number }>();
    addAll(sampler, 1, PER_CONNECTION_LIMIT + 1);
    const [first, ...rest] = sampler.finish();
    expect(rest).toEqual([]);
    expect(first!.conn).toEqual(conn(1));
    expect(first!.findings.map((f) => [f.id, f.summaryOf])).toEqual([
      ["window-limited", undefined],
      [SAMPLED_ID, 11],
      ["zero-window", undefined],
    ]);
    expect(first!.findings[1]!.message).toBe("11 connections (c1, c2, c3, c4, c5, ...) are like c1. note of c1");
  });

  it("only the sampled note is taken off: a connection's other findings, in order, stay", () => {
    const sampler = new FindingSampler<{ n: number }>();
    for (let n = 1; n <= PER_CONNECTION_LIMIT; n++) sampler.add(conn(n), [note(n)]);
    const eleventh = [other(11, "scale-rewritten"), note(11), other(11, "window-limited"), other(11, "zero-window")];
    expect(sampler.add(conn(11), eleventh).map((s) => s.findings.map((f) => f.id))).toEqual([
      [],
      [],
      [],
      [],
      [],
      [],
      [],
      [],
      [],
      ["scale-rewritten", "window-limited", "zero-window"],
    ]);
    const twelfth = [note(12), other(12, "scale-rewritten")];
    expect(sampler.add(conn(12), twelfth)).toEqual([{ conn: conn(12), findings: [other(12, "scale-rewritten")] }]);
    // The findings given to add are not changed in place.
    expect(twelfth).toEqual([note(12), other(12, "scale-rewritten")]);
    expect(eleventh.map((f) => f.id)).toEqual(["scale-rewritten", SAMPLED_ID, "window-limited", "zero-window"]);
  });

  it("every connection is released exactly once over the input", () => {
    const sampler = new FindingSampler<{ n: number }>();
    const all: number[] = [];
    for (let n = 1; n <= 25; n++) all.push(...released(sampler.add(conn(n), n % 3 === 0 ? [other(n)] : found(n))));
    all.push(...released(sampler.finish()));
    expect(all.length).toBe(25);
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    // 3, 6 and 9 go at once; the 11th with the note (n = 16) releases those held after the first.
    expect(all.slice(0, 3)).toEqual([3, 6, 9]);
    expect(all.at(-1)).toBe(1);
  });
});

describe("each input counts on its own", () => {
  it("after finish, the count starts again: ten connections keep their notes", () => {
    const sampler = new FindingSampler<{ n: number }>();
    addAll(sampler, 1, 20);
    expect(sampler.finish().map((s) => s.findings.find(isSampled)?.summaryOf)).toEqual([20]);
    expect(addAll(sampler, 21, 20 + PER_CONNECTION_LIMIT).flat()).toEqual([]);
    expect(sampler.finish()).toEqual(Array.from({ length: PER_CONNECTION_LIMIT }, (_, i) => whole(21 + i)));
  });

  it("a second summary names the connections of its own input", () => {
    const sampler = new FindingSampler<{ n: number }>();
    addAll(sampler, 1, 12);
    sampler.finish();
    addAll(sampler, 31, 42);
    const [first] = sampler.finish();
    expect(first!.conn).toEqual(conn(31));
    expect(first!.findings[1]!.message).toBe("12 connections (c31, c32, c33, c34, c35, ...) are like c31. note of c31");
  });
});
