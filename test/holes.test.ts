/** Sequence holes against a byte-by-byte model: what the capture has not seen of one side's data. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeqHoles } from "../src/connections/holes.js";

// Near 2^32, so that holes and fills wrap.
const BASE = 0xffff_fc00;
const at = (offset: number) => (BASE + offset) >>> 0;

type Op =
  | { kind: "gap"; len: number; after: number }
  | { kind: "fill"; from: number; len: number }
  | { kind: "ack"; upTo: number };

describe("SeqHoles", () => {
  it("opens, fills (whole, low part, high part, middle) and acknowledgements match a byte-by-byte model", () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant("gap" as const),
        len: fc.integer({ min: 1, max: 40 }),
        after: fc.integer({ min: 1, max: 40 }),
      }),
      fc.record({ kind: fc.constant("fill" as const), from: fc.nat(400), len: fc.integer({ min: 1, max: 60 }) }),
      fc.record({ kind: fc.constant("ack" as const), upTo: fc.nat(400) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const holes = new SeqHoles();
        const missing = new Map<number, number>(); // byte offset -> time its hole opened
        let next = 0;
        let t = 0;
        let acked = 0;
        for (const o of ops) {
          t += 1;
          const runs = [...missing.keys()]
            .sort((a, b) => a - b)
            .filter((b, i, all) => i === 0 || all[i - 1] !== b - 1).length;
          if (o.kind === "gap") {
            if (runs >= 7) continue; // below MAX_HOLES: nothing given up
            holes.open(at(next), at(next + o.len), t);
            for (let b = next; b < next + o.len; b++) missing.set(b, t);
            next += o.len + o.after;
          } else if (o.kind === "fill") {
            const from = Math.min(o.from, next);
            const to = Math.min(from + o.len, next);
            if (to <= from || runs >= 7) continue;
            const hit = [...missing.entries()].filter(([b]) => b >= from && b < to).sort((a, b) => a[0] - b[0]);
            const got = holes.fill(at(from), at(to));
            if (hit.length === 0) expect(got).toBeNaN();
            else expect(got).toBe(hit[0]![1]);
            expect(holes.filled).toBe(hit.length);
            for (let b = from; b < to; b++) missing.delete(b);
          } else {
            const ack = Math.max(acked, Math.min(o.upTo, next));
            acked = ack;
            const below = [...missing.keys()].filter((b) => b < ack).sort((a, b) => a - b);
            const holesBelow = below.filter((b, i) => i === 0 || below[i - 1] !== b - 1).length;
            expect(holes.acknowledge(at(ack), t)).toEqual({ bytes: below.length, holes: holesBelow });
            for (const b of below) missing.delete(b);
          }
          const runsNow = [...missing.keys()]
            .sort((a, b) => a - b)
            .filter((b, i, all) => i === 0 || all[i - 1] !== b - 1).length;
          expect(holes.count).toBe(runsNow);
        }
      }),
      { seed: 13, numRuns: 400 },
    );
  });

  it("data that ends exactly where a hole starts, or starts exactly where it ends, fills nothing; one that ends at its end takes it whole", () => {
    const h = new SeqHoles();
    h.open(at(100), at(200), 7);
    expect(h.fill(at(50), at(100))).toBeNaN();
    expect(h.fill(at(200), at(250))).toBeNaN();
    expect(h.count).toBe(1);
    expect(h.filled).toBe(0);
    expect(h.fill(at(150), at(200))).toBe(7);
    expect([h.count, h.filled]).toEqual([1, 50]);
    expect(h.fill(at(90), at(160))).toBe(7);
    expect([h.count, h.filled]).toEqual([0, 50]);
  });

  it("the ninth hole gives up the oldest: data below its end may be missing unseen, until an ACK passes it", () => {
    const h = new SeqHoles();
    for (let i = 0; i < 9; i++) h.open(at(i * 100), at(i * 100 + 10), i);
    expect([h.count, h.gaveUpBelow]).toEqual([8, at(10)]);
    expect(h.acknowledge(at(9), 10)).toEqual({ bytes: 0, holes: 0 });
    expect(h.gaveUpBelow).toBe(at(10));
    // The ACK at the give-up point counts the holes below it (none left) and clears it.
    expect(h.acknowledge(at(10), 11)).toEqual({ bytes: 0, holes: 0 });
    expect(h.gaveUpBelow).toBeNaN();
    // A split of a full set keeps the low part only (nothing to hold the high part).
    expect(h.fill(at(103), at(105))).toBe(1);
    expect([h.count, h.filled]).toEqual([8, 2]);
  });

  it("a range acknowledged unseen is reclaimed by data that comes within the window, from either end, and only then", () => {
    const h = new SeqHoles();
    h.missed(at(0), at(300), 10);
    expect(h.reclaim(at(0), at(100), 10.5, 0.5)).toBe(100); // at the window's edge: counts
    expect(h.reclaim(at(200), at(300), 10.5, 0.5)).toBe(100); // from the high end
    expect(h.reclaim(at(100), at(200), 10.5, 0.5)).toBe(100); // what is left
    const late = new SeqHoles();
    late.missed(at(0), at(300), 10);
    expect(late.reclaim(at(0), at(100), 10.5001, 0.5)).toBe(0);
    expect(late.reclaim(at(0), at(301), 10.1, 0.5)).toBe(0); // beyond the range
    expect(late.reclaim(at(-1), at(100), 10.1, 0.5)).toBe(0); // before it
    expect(new SeqHoles().reclaim(at(0), at(1), 0, 1)).toBe(0); // nothing acknowledged unseen
  });

  it("acknowledge records what it counted as missed, so that its data arriving just after is reclaimed", () => {
    const h = new SeqHoles();
    h.open(at(0), at(50), 1);
    expect(h.acknowledge(at(30), 2)).toEqual({ bytes: 30, holes: 1 });
    expect(h.reclaim(at(0), at(30), 2.001, 0.01)).toBe(30);
    expect(h.count).toBe(1);
    expect(h.acknowledge(at(60), 3)).toEqual({ bytes: 20, holes: 1 });
    expect(h.reclaim(at(30), at(50), 3.001, 0.01)).toBe(20);
    // Only what was acknowledged unseen: [50, 60) had been captured.
    const k = new SeqHoles();
    k.open(at(30), at(50), 1);
    k.acknowledge(at(60), 3);
    expect(k.reclaim(at(50), at(60), 3.001, 0.01)).toBe(0);
  });

  it("a reclaimed range is no longer missing: the same data again is not reclaimed twice", () => {
    const h = new SeqHoles();
    h.missed(at(0), at(300), 10);
    expect(h.reclaim(at(0), at(100), 10.1, 0.5)).toBe(100);
    expect(h.reclaim(at(0), at(100), 10.2, 0.5)).toBe(0);
    expect(h.reclaim(at(250), at(300), 10.2, 0.5)).toBe(50);
    expect(h.reclaim(at(250), at(300), 10.3, 0.5)).toBe(0);
  });

  it("reset forgets holes, the give-up point and what was missed", () => {
    const h = new SeqHoles();
    for (let i = 0; i < 9; i++) h.open(at(i * 100), at(i * 100 + 10), i);
    h.missed(at(0), at(10), 1);
    h.reset();
    expect([h.count, h.gaveUpBelow, h.fill(at(0), at(1000)), h.reclaim(at(0), at(10), 1, 1)]).toEqual([
      0,
      Number.NaN,
      Number.NaN,
      0,
    ]);
  });
});
