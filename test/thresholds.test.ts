/**
 * Every heuristic threshold in src/findings, on both sides: the smallest evidence that must fire
 * and the largest that must not, with the confidence at each boundary. The thresholds are
 * imported, so a changed constant moves its test with it, and an off-by-one planted in a rule
 * (`>=` for `>`, a literal for the constant) fails here.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import type { Connection } from "../src/connections/connection.js";
import {
  captureQuality,
  POOR_DOUBTFUL,
  POOR_DOUBTFUL_SHARE,
  POOR_GAPS,
  qualityCaveat,
} from "../src/connections/quality.js";
import { layoutKinds, STACKS } from "../src/connections/stacks.js";
import { optionName, summarize } from "../src/connections/summary.js";
import { MAX_SHIFT } from "../src/connections/wscale.js";
import {
  appliedShift,
  CERTAIN_EXACT_FALLS,
  FIRST_WINDOW_FALL,
  IMPLAUSIBLE_FIRST_WINDOW,
  MIN_EXACT_FALLS,
  MIN_FALLS,
} from "../src/findings/applied-shift.js";
import { evaluateFindings } from "../src/findings/evaluate.js";
import type { Finding } from "../src/findings/finding.js";
import { BOUND_FULL_SHARE, BOUND_MAX_RATE, BOUND_MIN_RATE, BOUND_ROUNDS, windowBound } from "../src/findings/rule.js";
import { MIN_RUN } from "../src/findings/rules/option-cleared-nops.js";
import {
  LIKELY_ROUNDS,
  MAX_BEYOND_SHARE,
  MIN_EDGE_SHARE,
  MIN_ROUNDS,
  POOR_ROUNDS_FACTOR,
} from "../src/findings/rules/scale-rewritten.js";
import {
  NEAR_CEILING,
  MIN_FLIGHTS as TOO_SMALL_FLIGHTS,
  FULL_SHARE as TOO_SMALL_SHARE,
} from "../src/findings/rules/scale-too-small.js";
import { ENOUGH, SMALL_RAW } from "../src/findings/rules/scale-unverified.js";
import {
  LIKELY_EDGE_EPISODES,
  MAX_CHANCE,
  MIN_EDGE_SHARE as MIN_BOX_SHARE,
  MIN_EDGE_EPISODES,
  poissonTail,
} from "../src/findings/rules/window-enforcing-middlebox.js";
import { MIN_FLIGHTS as LIMITED_FLIGHTS, FULL_SHARE as LIMITED_SHARE } from "../src/findings/rules/window-limited.js";
import { SERIOUS_SHARE, SERIOUS_STALL } from "../src/findings/rules/zero-window.js";
import { formatBytes } from "../src/kernel/units.js";
import { boxedDownload, C, handshake, S } from "./helpers/downloads.js";
import { type SegmentSpec, trackConnection as track } from "./helpers/segments.js";

function findings(specs: SegmentSpec[]): Finding[] {
  const conn = track(specs);
  return evaluateFindings(conn, summarize(conn));
}

function one(specs: SegmentSpec[], id: string): Finding | undefined {
  const got = findings(specs).filter((f) => f.id === id);
  expect(got.length).toBeLessThanOrEqual(1);
  return got[0];
}

const nops = (n: number): string => Array(n).fill("nop").join(",");
/** A layout as findings print it ("mss,nop,wscale,sackOK,TS"). */
const named = (layout: string): string => layoutKinds(layout).map(optionName).join(",");

describe("option-cleared-nops: MIN_RUN NOPs in a row", () => {
  /** A client SYN with this option layout, answered by a Linux SYN-ACK. */
  function synWith(layout: string, synAck = false): SegmentSpec[] {
    const syn: SegmentSpec = { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: 7, ts: [1, 0], layout };
    const answer: SegmentSpec = {
      from: S,
      to: C,
      flags: "S.",
      seq: 5000,
      ack: 1001,
      win: 65160,
      wscale: 7,
      ts: [9, 1],
      layout: "mss,sok,ts,nop,ws",
    };
    if (synAck) {
      // The layout under test is the SYN-ACK's; the client's SYN is Linux's.
      return [
        { ...syn, layout: "mss,sok,ts,nop,ws" },
        { ...answer, layout },
      ];
    }
    return [syn, answer];
  }

  it(`${MIN_RUN - 1} NOPs where no stack pads are not accused, ${MIN_RUN} are (info: wscale still there)`, () => {
    // mss,nop,ws,sok,ts is Windows' layout: one NOP more or less before ws is no stack's.
    expect(one(synWith(`mss,${nops(MIN_RUN - 1)},ws,sok,ts`), "option-cleared-nops")).toBeUndefined();
    const f = one(synWith(`mss,${nops(MIN_RUN)},ws,sok,ts`), "option-cleared-nops");
    expect(f).toMatchObject({ severity: "info", confidence: "possible", direction: "client-to-server" });
    expect(f!.message).toContain(`carries ${MIN_RUN} NOPs in a row (${named(`mss,${nops(MIN_RUN)},ws,sok,ts`)})`);
  });

  it(`the window-scale option overwritten in place: ${MIN_RUN} NOPs warn (likely), ${MIN_RUN - 1} do not`, () => {
    // A 3-byte option where no NOP stood before it (a box's TCPOPTSTRIP on mss,ws,sok,ts).
    const f = one(synWith(`mss,${nops(MIN_RUN)},sok,ts`), "option-cleared-nops");
    expect(f).toMatchObject({ severity: "warn", confidence: "likely" });
    expect(f!.message).toContain("The window-scale option (3 bytes) is the one missing here");
    expect(one(synWith(`mss,${nops(MIN_RUN - 1)},sok,ts`), "option-cleared-nops")).toBeUndefined();
  });

  it("Linux's SYN with wscale overwritten (mss,sok,ts,nop,ws -> 4 NOPs) and the SYN-ACK too", () => {
    for (const synAck of [false, true]) {
      const f = one(synWith("mss,sok,ts,nop,nop,nop,nop", synAck), "option-cleared-nops");
      expect(f).toMatchObject({ severity: "warn", confidence: "likely" });
      expect(f!.direction).toBe(synAck ? "server-to-client" : "client-to-server");
      expect(f!.message).toContain("carries 4 NOPs in a row (mss,sackOK,TS,nop,nop,nop,nop)");
    }
  });

  it("Linux without SACK (mss,nop,nop,ts,nop,ws): its two NOPs are padding, but its ws overwritten is 4", () => {
    expect(one(synWith("mss,nop,nop,ts,nop,ws"), "option-cleared-nops")).toBeUndefined();
    expect(one(synWith("mss,nop,nop,ts,nop,nop,nop,nop"), "option-cleared-nops")).toMatchObject({ severity: "warn" });
  });

  it("stack padding is never accused: NetBSD's mss,nop,ws,sok,nop,nop,nop,nop,ts and every known layout with a long run", () => {
    expect(one(synWith("mss,nop,ws,sok,nop,nop,nop,nop,ts"), "option-cleared-nops")).toBeUndefined();
    let checked = 0;
    for (const row of STACKS) {
      const kinds = row.kinds;
      let run = 0;
      let longest = 0;
      for (const k of kinds) longest = Math.max(longest, (run = k === 1 ? run + 1 : 0));
      if (longest < MIN_RUN) continue;
      const layout = kinds.map((k) => ["eol", "nop", "mss", "ws", "sok", "", "", "", "ts"][k]).join(",");
      expect(layoutKinds(layout)).toEqual([...kinds]);
      for (const synAck of row.synAck === "either" ? [false, true] : [row.synAck]) {
        expect(one(synWith(layout, synAck), "option-cleared-nops"), `${row.label}: ${layout}`).toBeUndefined();
        checked++;
      }
    }
    // NetBSD's SYN and SYN-ACK at least.
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});

describe("wscale-out-of-range: 14 is legal, 15 is clamped", () => {
  it(`shift ${MAX_SHIFT} is used as offered and raises nothing; ${MAX_SHIFT + 1} is used as ${MAX_SHIFT} and is reported`, () => {
    const legal = track(handshake(MAX_SHIFT, 7));
    expect(legal.client.shift).toBe(MAX_SHIFT);
    expect(evaluateFindings(legal, summarize(legal)).map((f) => f.id)).not.toContain("wscale-out-of-range");
    const over = track(handshake(MAX_SHIFT + 1, 7));
    expect(over.client.shift).toBe(MAX_SHIFT);
    const f = evaluateFindings(over, summarize(over)).filter((x) => x.id === "wscale-out-of-range");
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: "warn", confidence: "certain" });
    expect(f[0]!.message).toBe(
      `The client 198.18.1.2:40000 offered window-scale shift ${MAX_SHIFT + 1}; RFC 7323 allows at most ${MAX_SHIFT}, so both ends must use ${MAX_SHIFT} (windows up to ${65535 * 2 ** MAX_SHIFT} bytes).`,
    );
  });

  it("the server's SYN-ACK is held to the same bound", () => {
    const over = track(handshake(7, MAX_SHIFT + 1));
    expect(over.server.shift).toBe(MAX_SHIFT);
    expect(evaluateFindings(over, summarize(over)).filter((x) => x.id === "wscale-out-of-range")).toHaveLength(1);
  });
});

/**
 * scale-rewritten near the victim: the client offers shift 7 and advertises raw 2000 (256,000
 * bytes); the server reads it unscaled. Each flight is answered by a pure ACK of all of it, and
 * the next flight follows at once (ACK-clocked). Flights:
 * - "edge": 2 x 1000 bytes, ending exactly at ack + 2000 (raw << 0);
 * - "short": 700 bytes (well inside, no edge);
 * - "beyond": one 3000-byte segment (past raw << 0, at no edge);
 * - "over"/"under": 2001 or 1999 bytes, one byte beyond or short of the edge;
 * - "edge2": 8000 bytes, ending at raw << 2; "scaled": 256,000 bytes, ending at raw << 7
 *   (segments sized to end at no smaller edge on the way).
 */
type Flight = "edge" | "short" | "beyond" | "over" | "under" | "edge2" | "scaled";
const FLIGHT: Record<Flight, number[]> = {
  // raw << 2 (a box that rewrote 7 to 2), its segments ending at no smaller edge on the way;
  // and raw << 7, the whole window the client offered.
  edge2: [1500, 1500, 1500, 1500, 1500, 500],
  scaled: [...Array(176).fill(1448), 1152],
  edge: [1000, 1000],
  short: [700],
  beyond: [3000],
  over: [1000, 1001],
  under: [1000, 999],
};
const RAW = 2000;

function rewrittenDownload(flights: Flight[], duplicatedAcks = 0, delay = 0.0001): SegmentSpec[] {
  const specs = handshake(7, 7);
  let t = 0.06;
  let ack = 5001;
  let ipId = 100;
  const clientAck = (): SegmentSpec => ({
    from: C,
    to: S,
    flags: ".",
    seq: 1001,
    ack,
    win: RAW,
    time: t,
    ipId: ipId++,
  });
  specs.push(clientAck());
  for (const f of flights) {
    t += delay;
    for (const len of FLIGHT[f]) {
      specs.push({ from: S, to: C, flags: ".", seq: ack, ack: 1001, win: 502, len, time: (t += 0.00001) });
      ack += len;
    }
    t += 0.02;
    const a = clientAck();
    specs.push(a);
    // The same ACK captured twice (a second interface): a capture that doubled records.
    if (duplicatedAcks-- > 0) specs.push({ ...a });
  }
  return specs;
}

const times = <T extends string>(n: number, f: T): T[] => Array(n).fill(f);

describe("scale-rewritten: rounds at the rewritten edge", () => {
  const rewritten = (flights: Flight[], dups = 0) => one(rewrittenDownload(flights, dups), "scale-rewritten");

  it(`${MIN_ROUNDS - 1} flights stopping at the edge are chance, ${MIN_ROUNDS} are evidence`, () => {
    expect(rewritten(times(MIN_ROUNDS - 1, "edge"))).toBeUndefined();
    const f = rewritten(times(MIN_ROUNDS, "edge"));
    expect(f).toMatchObject({ severity: "error", direction: "client-to-server" });
    expect(f!.message).toMatch(
      new RegExp(
        `^In ${MIN_ROUNDS} of its ${MIN_ROUNDS} flights the server 198\\.18\\.2\\.2:443 stopped exactly at the client's raw window shifted by 0`,
      ),
    );
    expect(f!.readAs).toEqual([{ side: "client", applied: 7, readWith: 0 }]);
  });

  it(`possible below ${LIKELY_ROUNDS} rounds, likely from ${LIKELY_ROUNDS}`, () => {
    expect(MIN_ROUNDS).toBeLessThan(LIKELY_ROUNDS);
    expect(rewritten(times(MIN_ROUNDS, "edge"))!.confidence).toBe("possible");
    expect(rewritten(times(LIKELY_ROUNDS - 1, "edge"))!.confidence).toBe("possible");
    expect(rewritten(times(LIKELY_ROUNDS, "edge"))!.confidence).toBe("likely");
  });

  it(`on a poor capture (${POOR_DOUBTFUL} doubled records), likely only from ${POOR_ROUNDS_FACTOR} x ${LIKELY_ROUNDS} rounds`, () => {
    const needed = POOR_ROUNDS_FACTOR * LIKELY_ROUNDS;
    const below = rewritten(times(needed - 1, "edge"), POOR_DOUBTFUL);
    expect(below).toMatchObject({ confidence: "possible" });
    expect(below!.message).toContain(`The capture itself is poor: ${POOR_DOUBTFUL} records were captured twice.`);
    expect(rewritten(times(needed, "edge"), POOR_DOUBTFUL)!.confidence).toBe("likely");
    // One record fewer doubled: fair, and the thinner pattern is likely again.
    expect(rewritten(times(needed - 1, "edge"), POOR_DOUBTFUL - 1)!.confidence).toBe("likely");
  });

  it(`at least ${MIN_EDGE_SHARE * 100}% of the flights must stop at the edge`, () => {
    const atEdge = 2 * LIKELY_ROUNDS;
    // The most flights elsewhere that still leave `atEdge` a MIN_EDGE_SHARE of them.
    const most = Math.floor(atEdge / MIN_EDGE_SHARE - atEdge);
    const mixed = (short: number): Flight[] => [...times(atEdge, "edge"), ...times(short, "short")];
    expect(rewritten(mixed(most))!.message).toMatch(new RegExp(`^In ${atEdge} of its ${atEdge + most} flights`));
    expect(rewritten(mixed(most + 1))).toBeUndefined();
  });

  it(`at most ${MAX_BEYOND_SHARE * 100}% of the flights may go beyond it`, () => {
    // Fewest flights at the edge that let one flight beyond it pass as a capture artefact.
    const fewest = Math.ceil(1 / MAX_BEYOND_SHARE - 1);
    const f = rewritten([...times(fewest, "edge"), "beyond"]);
    expect(f!.message).toContain(`In ${fewest} of its ${fewest + 1} flights`);
    expect(f!.message).toContain("and went beyond that edge in only 1,");
    expect(rewritten([...times(fewest - 1, "edge"), "beyond"])).toBeUndefined();
    expect(rewritten(times(fewest, "edge"))!.message).toContain("and never went beyond it");
  });

  it("the edge is exact: a byte beyond it or short of it, flight after flight, is no edge", () => {
    expect(rewritten(times(2 * LIKELY_ROUNDS, "over"))).toBeUndefined();
    expect(rewritten(times(2 * LIKELY_ROUNDS, "under"))).toBeUndefined();
    expect(rewritten(times(2 * LIKELY_ROUNDS, "edge"))).toMatchObject({ confidence: "likely" });
  });

  it("a box that rewrote the shift to 2: the edge at raw << 2, read as such", () => {
    const f = rewritten(times(LIKELY_ROUNDS, "edge2"));
    expect(f).toMatchObject({ confidence: "likely", readAs: [{ side: "client", applied: 7, readWith: 2 }] });
    expect(f!.message).toContain("stopped exactly at the client's raw window shifted by 2, each sent");
    expect(f!.message).toContain(
      `its window of ${RAW} means ${formatBytes(RAW << 7)}, but the server reads it as ${formatBytes(RAW << 2)}`,
    );
    expect(f!.message).toContain("rewrote the window-scale shift in the client's SYN from 7 to 2");
  });

  it("a sender that stops at the edge of the shift offered (raw << 7) is a healthy window-limited sender", () => {
    expect(FLIGHT.scaled.reduce((a, b) => a + b)).toBe(RAW << 7);
    expect(rewritten(times(2 * LIKELY_ROUNDS, "scaled"))).toBeUndefined();
  });

  it("flights sent a second after the ACK that opened them (not ACK-clocked) prove nothing", () => {
    expect(one(rewrittenDownload(times(2 * LIKELY_ROUNDS, "edge"), 0, 1), "scale-rewritten")).toBeUndefined();
  });

  describe("the SYN-ACK not captured: the negotiated shift is unknown", () => {
    // The same download without the SYN-ACK, after a 100-byte request the server acknowledges
    // (without a handshake, the round trip that shows the flights ACK-clocked is measured from
    // data both ways); the client's SYN says MSS `mss`.
    const partialSpecs = (flights: Flight[], mss: number): SegmentSpec[] => {
      const [syn, , ...rest] = rewrittenDownload(flights);
      const request: SegmentSpec[] = [
        { from: C, to: S, flags: "P.", seq: 1001, ack: 5001, win: RAW, len: 100, time: 0.05 },
        { from: S, to: C, flags: ".", seq: 5001, ack: 1101, win: 502, time: 0.055 },
      ];
      const after = rest.map((x) => (x.from === C ? { ...x, seq: 1101 } : { ...x, ack: 1101 }));
      return [{ ...syn!, mss }, ...request, ...after];
    };
    const withoutSynAck = (flights: Flight[], mss: number) => one(partialSpecs(flights, mss), "scale-rewritten");

    // The first flight comes before any round trip is measured: it cannot be shown ACK-clocked.
    it(`a warn, possible, from ${LIKELY_ROUNDS} rounds (not ${MIN_ROUNDS}): the innocent reading is weighed in the message`, () => {
      expect(withoutSynAck(times(LIKELY_ROUNDS, "edge"), RAW + 1)).toBeUndefined();
      const f = withoutSynAck(times(LIKELY_ROUNDS + 1, "edge"), RAW + 1);
      expect(f).toMatchObject({
        severity: "warn",
        confidence: "possible",
        direction: "client-to-server",
        advice: [],
        readAs: [{ side: "client", applied: 7, readWith: 0 }],
      });
      expect(f!.message).toBe(
        `The server's SYN-ACK is not in this capture, so the negotiated shift is unknown. In ${LIKELY_ROUNDS} of its ${LIKELY_ROUNDS + 1} flights ` +
          `the server 198.18.2.2:443 stopped exactly at the client's raw window shifted by 0 (that is, unscaled), each sent as soon as the client's ACK reached it, ` +
          `and never went beyond it: it reads the client's windows (raw up to ${RAW}) as ${formatBytes(RAW)}, less than one ${RAW + 1}-byte segment. ` +
          "The client offered shift 7, and a receiver does not advertise less than one segment for a whole transfer (RFC 1122 silly window avoidance), so it scales its windows: " +
          "the SYN-ACK most likely carried wscale too, and a box on the path possibly rewrote the shift in the client's SYN from 7 to 0. " +
          `Capture the handshake (here, or at the server) to confirm. Throughput ${f!.message.match(/Throughput (.*)\.$/)![1]}.`,
      );
    });

    it("only when the windows, read unscaled, are less than one segment of the client's own MSS", () => {
      expect(withoutSynAck(times(2 * LIKELY_ROUNDS, "edge"), RAW)).toBeUndefined();
      expect(withoutSynAck(times(2 * LIKELY_ROUNDS, "edge"), RAW + 1)).toBeDefined();
    });

    it("a sender that stops at the edge of the shift offered (raw << 7) raises nothing", () => {
      expect(withoutSynAck(times(2 * LIKELY_ROUNDS, "scaled"), 65495)).toBeUndefined();
    });

    it("the same with the roles the other way (the SYN missing, the SYN-ACK's shift read as 0): rewritten, or removed", () => {
      // The victim's SYN made a SYN-ACK: 198.18.1.2:40000 is now the server, the sender its client.
      const specs = partialSpecs(times(LIKELY_ROUNDS + 1, "edge"), RAW + 1);
      const f = one([{ ...specs[0]!, flags: "S.", ack: 5001 }, ...specs.slice(1)], "scale-rewritten");
      expect(f).toMatchObject({ severity: "warn", confidence: "possible", direction: "server-to-client" });
      expect(f!.message).toMatch(/^The client's SYN is not in this capture/);
      expect(f!.message).toContain("possibly rewrote the shift in the server's SYN-ACK from 7 to 0, or removed it.");
    });
  });
});

/**
 * A client whose windows fall as data arrives: by exactly the bytes that arrived ("exact"), or by
 * two bytes less (still more than any shift above 0 allows: a bound, but not the signature of an
 * unscaled window). Both SYNs carry wscale 7.
 */
function fallingWindows(exact: number, inexact: number): SegmentSpec[] {
  const specs = handshake(7, 7);
  let seq = 5001;
  let t = 0.04;
  let win = 60000;
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win, time: 0.031 });
  for (let i = 0; i < exact + inexact; i++) {
    specs.push({ from: S, to: C, flags: ".", seq, ack: 1001, win: 509, len: 1448, time: (t += 0.0005) });
    seq += 1448;
    win -= i < exact ? 1448 : 1446;
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win, time: (t += 0.02) });
  }
  return specs;
}

describe("applied shift: falls that bound it, exact falls that say it is none", () => {
  it(`${MIN_FALLS - 1} falls bound nothing, ${MIN_FALLS} bound the shift to 0`, () => {
    expect(MIN_EXACT_FALLS).toBeLessThanOrEqual(MIN_FALLS);
    expect(appliedShift(track(fallingWindows(MIN_FALLS - 1, 0)).client)).toBeNull();
    expect(appliedShift(track(fallingWindows(MIN_FALLS, 0)).client)).toMatchObject({ kind: "none", applied: 0 });
  });

  it(`of those falls, ${MIN_EXACT_FALLS - 1} exact is not enough, ${MIN_EXACT_FALLS} are (likely)`, () => {
    const fewer = track(fallingWindows(MIN_EXACT_FALLS - 1, MIN_FALLS));
    expect(fewer.client.unscaledFalls).toBe(MIN_EXACT_FALLS - 1);
    expect(appliedShift(fewer.client)).toBeNull();
    expect(findings(fallingWindows(MIN_EXACT_FALLS - 1, MIN_FALLS)).map((f) => f.id)).not.toContain("scale-asymmetric");
    const enough = track(fallingWindows(MIN_EXACT_FALLS, MIN_FALLS));
    expect(appliedShift(enough.client)).toMatchObject({ kind: "none", confidence: "likely" });
    const f = one(fallingWindows(MIN_EXACT_FALLS, MIN_FALLS), "scale-asymmetric");
    expect(f).toMatchObject({ severity: "error", confidence: "likely" });
    // An endpoint that does not scale is not one whose shift was rewritten.
    expect(one(fallingWindows(MIN_EXACT_FALLS, MIN_FALLS), "scale-rewritten")).toBeUndefined();
  });

  it(`certain from ${CERTAIN_EXACT_FALLS} exact falls, likely at ${CERTAIN_EXACT_FALLS - 1}`, () => {
    expect(appliedShift(track(fallingWindows(CERTAIN_EXACT_FALLS - 1, 0)).client)!.confidence).toBe("likely");
    expect(appliedShift(track(fallingWindows(CERTAIN_EXACT_FALLS, 0)).client)!.confidence).toBe("certain");
    expect(one(fallingWindows(CERTAIN_EXACT_FALLS, 0), "scale-asymmetric")!.confidence).toBe("certain");
  });
});

/**
 * Near the client, the server's SYN-ACK arrives with wscale 0 (a box rewrote its 7) and window W;
 * its first window after the handshake is raw r. Read unscaled, r far below W means the server
 * scales by more than 0: FIRST_WINDOW_FALL is how far below.
 */
function firstWindow(synAckWindow: number, raw: number): SegmentSpec[] {
  const specs = handshake(7, 0);
  specs[1]!.win = synAckWindow;
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 502, time: 0.031 });
  specs.push({ from: S, to: C, flags: ".", seq: 5001, ack: 1001, win: raw, time: 0.062 });
  return specs;
}

describe("applied shift from the first window: FIRST_WINDOW_FALL", () => {
  // W / FIRST_WINDOW_FALL below one MSS (1460), so the fall and not the MSS decides.
  const W = 1000 * FIRST_WINDOW_FALL;

  it(`a first window of W/${FIRST_WINDOW_FALL} shows a larger shift, one more byte does not`, () => {
    const at = appliedShift(track(firstWindow(W, W / FIRST_WINDOW_FALL)).server);
    expect(at).toMatchObject({ kind: "larger", applied: Math.log2(FIRST_WINDOW_FALL), confidence: "likely" });
    expect(appliedShift(track(firstWindow(W, W / FIRST_WINDOW_FALL + 1)).server)).toBeNull();
  });

  it("scale-rewritten from the victim's windows, at the boundary", () => {
    const f = one(firstWindow(W, W / FIRST_WINDOW_FALL), "scale-rewritten");
    expect(f).toMatchObject({ severity: "error", confidence: "likely", direction: "server-to-client" });
    expect(f!.readAs).toEqual([{ side: "server", applied: Math.log2(FIRST_WINDOW_FALL), readWith: 0 }]);
    expect(one(firstWindow(W, W / FIRST_WINDOW_FALL + 1), "scale-rewritten")).toBeUndefined();
  });

  it("a first window of one MSS or more is never a fall, however large the SYN-ACK window", () => {
    expect(appliedShift(track(firstWindow(65535, 1460)).server)).toBeNull();
    // 65535 / 1459 is about 2^5.5: the shift applied is read as 5.
    expect(appliedShift(track(firstWindow(65535, 1459)).server)).toMatchObject({ kind: "larger", applied: 5 });
  });
});

describe("applied shift from the first window: what arrived meanwhile, the peer's MSS, falls that refute it", () => {
  /** firstWindow, after the client sent `request` bytes that the server's first window acknowledges. */
  function afterRequest(synAckWindow: number, raw: number, request: number, clientMss = 1460): SegmentSpec[] {
    const specs = firstWindow(synAckWindow, raw);
    specs[0]!.mss = clientMss;
    specs.splice(3, 0, { from: C, to: S, flags: "P.", seq: 1001, ack: 5001, win: 502, len: request, time: 0.032 });
    specs[4]!.ack = 1001 + request;
    return specs;
  }

  it("bytes that arrived before the first window count with it", () => {
    const W = 1000 * FIRST_WINDOW_FALL;
    expect(appliedShift(track(afterRequest(W, 900, 100)).server)).toMatchObject({ kind: "larger" });
    expect(appliedShift(track(afterRequest(W, 901, 100)).server)).toBeNull();
  });

  it("below one MSS of the peer's SYN, not of 1460, when the peer announced less", () => {
    expect(appliedShift(track(afterRequest(65535, 999, 0, 1000)).server)).toMatchObject({ kind: "larger" });
    expect(appliedShift(track(afterRequest(65535, 1000, 0, 1000)).server)).toBeNull();
  });

  it("a first window that claims a larger shift than the falling windows allow is no evidence", () => {
    const W = 1000 * FIRST_WINDOW_FALL;
    const specs = firstWindow(W, W / FIRST_WINDOW_FALL);
    // The client sends 500 bytes three times; the server's window falls by 300 raw units each time:
    // more than any shift above 0 allows, and not by exactly what arrived.
    let t = 0.1;
    for (let i = 0; i < MIN_FALLS; i++) {
      specs.push({
        from: C,
        to: S,
        flags: "P.",
        seq: 1001 + 500 * i,
        ack: 5001,
        win: 502,
        len: 500,
        time: (t += 0.01),
      });
      specs.push({
        from: S,
        to: C,
        flags: ".",
        seq: 5001,
        ack: 1501 + 500 * i,
        win: 1000 - 300 * (i + 1),
        time: (t += 0.01),
      });
    }
    const server = track(specs).server;
    expect(server.unscaledFalls).toBe(0);
    expect(appliedShift(server)).toBeNull();
    expect(appliedShift(track(specs.slice(0, -2)).server)).toMatchObject({ kind: "larger" });
  });

  /** The client's SYN window: a multiple of 64, so that 1/64 of it is exact. */
  const W = 64 * 1023;
  /** Both SYNs offer `shift`; the client's first window after the handshake is raw `raw`. */
  function sameWindowAgain(shift: number, raw: number): SegmentSpec[] {
    const specs = handshake(shift, 7);
    specs[0]!.win = W;
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: raw, time: 0.06 });
    return specs;
  }

  it("a first window equal to the SYN's (within 1/64) that would be 32 MiB scaled: the endpoint does not scale", () => {
    expect(W * 2 ** 10).toBeGreaterThanOrEqual(IMPLAUSIBLE_FIRST_WINDOW);
    expect(W * 2 ** 9).toBeLessThan(IMPLAUSIBLE_FIRST_WINDOW);
    const none = appliedShift(track(sameWindowAgain(10, W)).client);
    expect(none).toMatchObject({ kind: "none", applied: 0, confidence: "likely" });
    expect(none!.note).toBe(
      `first window after the handshake: raw ${W}, its SYN window again (64 MiB if shifted by 10)`,
    );
    expect(appliedShift(track(sameWindowAgain(9, W)).client)).toBeNull();
    const close = W - W / 64;
    expect(appliedShift(track(sameWindowAgain(10, close)).client)).toMatchObject({ kind: "none" });
    expect(appliedShift(track(sameWindowAgain(10, close - 1)).client)).toBeNull();
    expect(appliedShift(track(sameWindowAgain(10, W + W / 64)).client)).toMatchObject({ kind: "none" });
    expect(one(sameWindowAgain(10, W), "scale-asymmetric")).toMatchObject({ severity: "error", confidence: "likely" });
  });
});

describe("window-enforcing-middlebox: episodes at the unscaled edge", () => {
  const box = (rounds: number, elsewhere: ReadonlySet<number> = new Set()) =>
    one(boxedDownload(rounds, -1, elsewhere), "window-enforcing-middlebox");

  // n rounds give n - 1 loss episodes, all at the edge.
  it(`${MIN_EDGE_EPISODES - 1} episodes are not enough, ${MIN_EDGE_EPISODES} are (possible)`, () => {
    expect(box(MIN_EDGE_EPISODES)).toBeUndefined();
    expect(box(MIN_EDGE_EPISODES + 1)).toMatchObject({ severity: "error", confidence: "possible" });
  });

  it(`possible at ${LIKELY_EDGE_EPISODES - 1} episodes, likely from ${LIKELY_EDGE_EPISODES}`, () => {
    expect(box(LIKELY_EDGE_EPISODES)!.confidence).toBe("possible");
    expect(box(LIKELY_EDGE_EPISODES + 1)!.confidence).toBe("likely");
  });

  it(`at least ${MIN_BOX_SHARE * 100}% of the episodes must start at the edge`, () => {
    // The fewest episodes at the edge that are an exact share of a whole number of episodes.
    let atEdge = MIN_EDGE_EPISODES;
    while (!Number.isInteger(atEdge / MIN_BOX_SHARE)) atEdge++;
    const most = atEdge / MIN_BOX_SHARE - atEdge;
    // Rounds 1, 3, 5, ... end with a loss far beyond the edge; the round after each starts there.
    const rounds = (other: number) => new Set(Array.from({ length: other }, (_, i) => 2 * i + 1));
    const f = box(atEdge + most + 1, rounds(most));
    expect(f!.message).toMatch(
      new RegExp(`^${atEdge} of the server 198\\.18\\.2\\.2:443's ${atEdge + most} loss episodes`),
    );
    expect(box(atEdge + most + 2, rounds(most + 1))).toBeUndefined();
  });

  it(`MAX_CHANCE: the Poisson tail at the boundary (${MAX_CHANCE})`, () => {
    // At 0.05 expected edge hits, 3 hits have a chance of about 2e-5 and 2 of about 1.2e-3.
    expect(poissonTail(0.05, 3)).toBeLessThanOrEqual(MAX_CHANCE);
    expect(poissonTail(0.05, 2)).toBeGreaterThan(MAX_CHANCE);
    expect(poissonTail(0.05, 0)).toBe(1);
    expect(poissonTail(2, 1)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonTail(2, 3)).toBeCloseTo(1 - Math.exp(-2) * (1 + 2 + 2), 12);
  });
});

/** A download of `segments` 1000-byte segments, some of them never captured, some captured twice. */
function capturedDownload(
  segments: number,
  o: { missing?: number[]; doubled?: number[]; reversed?: number[] },
): Connection {
  const specs = handshake(7, 7);
  let t = 0.06;
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 502, time: t });
  for (let i = 0; i < segments; i++) {
    const seq = 5001 + i * 1000;
    const data: SegmentSpec = {
      from: S,
      to: C,
      flags: ".",
      seq,
      ack: 1001,
      win: 502,
      len: 1000,
      ipId: 1 + i,
      time: (t += 0.01),
    };
    if (!o.missing?.includes(i)) specs.push(data);
    if (o.doubled?.includes(i)) specs.push({ ...data });
    // A record stamped before the one ahead of it.
    if (o.reversed?.includes(i)) specs.push({ ...data, seq: seq + 1000, len: 0, ipId: 5000 + i, time: t - 0.005 });
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq + 1000, win: 502, time: (t += 0.001) });
  }
  return track(specs);
}

describe("capture quality", () => {
  it(`${POOR_GAPS - 1} gaps the capture missed make it fair, ${POOR_GAPS} poor`, () => {
    const gaps = (n: number) => Array.from({ length: n }, (_, i) => 10 + 10 * i);
    expect(captureQuality(capturedDownload(100, {}))).toMatchObject({ quality: "good", uncapturedGaps: 0 });
    expect(captureQuality(capturedDownload(100, { missing: gaps(1) }))).toMatchObject({
      quality: "fair",
      uncapturedGaps: 1,
      uncapturedBytes: 1000,
    });
    expect(captureQuality(capturedDownload(100, { missing: gaps(POOR_GAPS - 1) }))).toMatchObject({
      quality: "fair",
      uncapturedGaps: POOR_GAPS - 1,
    });
    expect(captureQuality(capturedDownload(100, { missing: gaps(POOR_GAPS) }))).toMatchObject({
      quality: "poor",
      uncapturedGaps: POOR_GAPS,
      uncapturedBytes: 1000 * POOR_GAPS,
    });
  });

  it(`${POOR_DOUBTFUL - 1} doubled records make it fair, ${POOR_DOUBTFUL} poor, unless under ${POOR_DOUBTFUL_SHARE * 100}% of the packets`, () => {
    const doubled = (n: number) => Array.from({ length: n }, (_, i) => 5 + i);
    expect(captureQuality(capturedDownload(50, { doubled: doubled(POOR_DOUBTFUL - 1) }))).toMatchObject({
      quality: "fair",
      duplicates: POOR_DOUBTFUL - 1,
    });
    expect(captureQuality(capturedDownload(50, { doubled: doubled(POOR_DOUBTFUL) }))).toMatchObject({
      quality: "poor",
      duplicates: POOR_DOUBTFUL,
    });
    // Packets: 3 handshake, 2 per segment, the doubles. The share bound sits between n and n + 2.
    const packets = (segments: number) => 3 + 2 * segments + POOR_DOUBTFUL;
    let largest = 1;
    while (POOR_DOUBTFUL >= packets(largest + 1) * POOR_DOUBTFUL_SHARE) largest++;
    const atShare = capturedDownload(largest, { doubled: doubled(POOR_DOUBTFUL) });
    expect(atShare.packets).toBe(packets(largest));
    expect(captureQuality(atShare).quality).toBe("poor");
    expect(captureQuality(capturedDownload(largest + 1, { doubled: doubled(POOR_DOUBTFUL) })).quality).toBe("fair");
  });

  it("the caveat names what the capture got wrong, in words", () => {
    expect(qualityCaveat(captureQuality(capturedDownload(20, {})))).toBe("");
    expect(qualityCaveat(captureQuality(capturedDownload(20, { missing: [5] })))).toBe(
      "The capture itself is fair: 1000 acknowledged bytes in 1 gap were never captured.",
    );
    expect(
      qualityCaveat(captureQuality(capturedDownload(20, { missing: [5, 10, 15], doubled: [2], reversed: [3] }))),
    ).toBe(
      "The capture itself is poor: 3000 acknowledged bytes in 3 gaps were never captured, 1 record was captured twice, 1 record is out of time order.",
    );
    expect(qualityCaveat(captureQuality(capturedDownload(20, { doubled: [2, 3], reversed: [5, 7] })))).toBe(
      "The capture itself is poor: 2 records were captured twice, 2 records are out of time order.",
    );
  });

  it("holes too many to track make it poor, on either side", () => {
    // The server's segments arrive with a 1000-byte gap before each, and nothing is acknowledged.
    const gappy = (gaps: number, fromClient: boolean) => {
      const specs = handshake(7, 7);
      specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 502, time: 0.06 });
      const [a, b, isn] = fromClient ? [C, S, 1001] : [S, C, 5001];
      specs.push({
        from: a,
        to: b,
        flags: ".",
        seq: isn,
        ack: fromClient ? 5001 : 1001,
        win: 502,
        len: 1000,
        time: 0.07,
      });
      for (let i = 1; i <= gaps; i++) {
        specs.push({
          from: a,
          to: b,
          flags: ".",
          seq: isn + 2000 * i,
          ack: fromClient ? 5001 : 1001,
          win: 502,
          len: 1000,
          time: 0.07 + i / 1000,
        });
      }
      return track(specs);
    };
    for (const fromClient of [false, true]) {
      const many = gappy(20, fromClient);
      expect((fromClient ? many.client : many.server).holes.gaveUpBelow).toBeGreaterThanOrEqual(0);
      expect(captureQuality(many)).toMatchObject({ quality: "poor", uncapturedGaps: 0 });
      expect(captureQuality(gappy(2, fromClient)).quality).toBe("good");
    }
  });

  it("records out of time order count as doubtful too", () => {
    const reversed = (n: number) => Array.from({ length: n }, (_, i) => 5 + 2 * i);
    expect(captureQuality(capturedDownload(50, { reversed: reversed(POOR_DOUBTFUL - 1) }))).toMatchObject({
      quality: "fair",
      timeReversed: POOR_DOUBTFUL - 1,
    });
    expect(captureQuality(capturedDownload(50, { reversed: reversed(POOR_DOUBTFUL) }))).toMatchObject({
      quality: "poor",
      timeReversed: POOR_DOUBTFUL,
    });
  });
});

/**
 * A download into a client that offers shift 0 (scaling on, its windows unscaled) and advertises
 * `win` throughout. A "full" round sends 1456-byte segments up to the window (within one MSS of
 * it), a "part" round one segment; the client acknowledges everything `gap` seconds later.
 */
function pinnedDownload(rounds: ("full" | "part")[], o: { win?: number; gap?: (r: "full" | "part") => number } = {}) {
  const win = o.win ?? 65535;
  const specs = handshake(0, 7);
  let seq = 5001;
  let t = 0.06;
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win, time: t });
  for (const r of rounds) {
    const end = r === "full" ? seq + win : seq + 1456;
    while (seq + 1456 <= end) {
      specs.push({ from: S, to: C, flags: ".", seq, ack: 1001, win: 509, len: 1456, time: (t += 0.0001) });
      seq += 1456;
    }
    t += o.gap?.(r) ?? 0.03;
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win, time: t });
  }
  return specs;
}

describe("window-limited and scale-too-small: flights that filled the window", () => {
  const ids = (specs: SegmentSpec[]) => findings(specs).map((f) => `${f.id} ${f.severity}`);

  it(`${LIMITED_FLIGHTS - 1} full flights are too few, ${LIMITED_FLIGHTS} are enough (both rules)`, () => {
    expect(LIMITED_FLIGHTS).toBe(TOO_SMALL_FLIGHTS);
    expect(ids(pinnedDownload(times(LIMITED_FLIGHTS - 1, "full")))).toEqual([]);
    expect(ids(pinnedDownload(times(LIMITED_FLIGHTS, "full")))).toEqual([
      "scale-too-small warn",
      "window-limited info",
    ]);
  });

  it(`a share of ${LIMITED_SHARE * 100}% full flights is enough, one flight fewer is not`, () => {
    expect(LIMITED_SHARE).toBe(TOO_SMALL_SHARE);
    const full = LIMITED_FLIGHTS;
    const most = Math.floor(full / LIMITED_SHARE - full);
    const mixed = (part: number) => pinnedDownload([...times(full, "full"), ...times(part, "part")]);
    const at = findings(mixed(most));
    expect(at.map((f) => f.id)).toEqual(["scale-too-small", "window-limited"]);
    expect(at[1]!.message).toMatch(new RegExp(`^In ${Math.round(LIMITED_SHARE * 100)}% of its ${full + most} flights`));
    expect(ids(mixed(most + 1))).toEqual([]);
  });

  it(`scale-too-small needs the raw window at ${NEAR_CEILING * 100}% of 65535 or more`, () => {
    const least = Math.ceil(65535 * NEAR_CEILING);
    expect(ids(pinnedDownload(times(LIMITED_FLIGHTS, "full"), { win: least }))).toEqual([
      "scale-too-small warn",
      "window-limited info",
    ]);
    expect(ids(pinnedDownload(times(LIMITED_FLIGHTS, "full"), { win: least - 1 }))).toEqual(["window-limited info"]);
  });
});

describe("windowBound: the 64 KiB cap 'hit this transfer'", () => {
  it(`${BOUND_FULL_SHARE * 100}% of the flights full is enough, fewer is not (slow rounds otherwise)`, () => {
    // The part rounds wait half a second: the rate stays far below what the window allows.
    const gap = (r: "full" | "part") => (r === "full" ? 0.03 : 0.5);
    const full = 3;
    const most = Math.floor(full / BOUND_FULL_SHARE - full);
    const bound = (part: number) =>
      windowBound(track(pinnedDownload([...times(full, "full"), ...times(part, "part")], { gap })));
    expect(bound(most)).toBe(true);
    expect(bound(most + 1)).toBe(false);
  });

  /**
   * `rounds` single segments of `bytes`, one every `every` round trips, into a 65535-byte window
   * never filled: the rate alone decides. Returns windowBound and the rate over what the window allows.
   */
  function paced(rounds: number, ratio: number, every: number): boolean {
    const handshakeOnly = [
      ...handshake(0, 7),
      { from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 65535, time: 0.06 },
    ];
    const rtt = track(handshakeOnly).rtt;
    expect(rtt).toBeGreaterThan(0);
    const d = every * rtt;
    // rate = rounds * bytes / ((rounds - 1) * d) = ratio * 65535 / rtt
    const bytes = Math.round((ratio * 65535 * (rounds - 1) * every) / rounds);
    expect(bytes + 1460).toBeLessThan(65535);
    const specs = handshake(0, 7);
    let seq = 5001;
    const t = 0.06;
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win: 65535, time: t });
    for (let i = 0; i < rounds; i++) {
      specs.push({ from: S, to: C, flags: ".", seq, ack: 1001, win: 509, len: bytes, time: 0.07 + i * d });
      seq += bytes;
      specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq, win: 65535, time: 0.07 + i * d + d / 2 });
    }
    const conn = track(specs);
    expect(conn.rtt).toBe(rtt);
    return windowBound(conn);
  }

  it(`a rate of ${BOUND_MIN_RATE} to ${BOUND_MAX_RATE} times the window per round trip (2% either side)`, () => {
    const rounds = BOUND_ROUNDS + 2;
    expect(paced(rounds, BOUND_MIN_RATE * 0.98, 1.01)).toBe(false);
    expect(paced(rounds, BOUND_MIN_RATE * 1.02, 1.01)).toBe(true);
    expect(paced(rounds, BOUND_MAX_RATE * 0.98, 1.01)).toBe(true);
    expect(paced(rounds, BOUND_MAX_RATE * 1.02, 1.01)).toBe(false);
  });

  it(`... kept up over ${BOUND_ROUNDS} round trips or more`, () => {
    // BOUND_ROUNDS + 1 segments 1.01 round trips apart span just over BOUND_ROUNDS round trips.
    expect(paced(BOUND_ROUNDS + 1, 0.8, 1.01)).toBe(true);
    expect(paced(BOUND_ROUNDS + 1, 0.8, 0.99)).toBe(false);
  });
});

/** A transfer of `duration` seconds in which the client advertised a zero window for `stall` of them. */
function stalled(stall: number, duration: number): SegmentSpec[] {
  const specs = handshake(7, 7);
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: 502, time: 0.06 });
  specs.push({ from: S, to: C, flags: ".", seq: 5001, ack: 1001, win: 509, len: 1000, time: 0.1 });
  // Times with exact binary fractions: the stall is `stall` to the last bit.
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 6001, win: 0, time: 0.25 });
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 6001, win: 502, time: 0.25 + stall });
  specs.push({ from: S, to: C, flags: ".", seq: 6001, ack: 1001, win: 509, len: 1000, time: duration - 0.1 });
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 7001, win: 502, time: duration });
  return specs;
}

describe("zero-window: a warning from a stall of SERIOUS_STALL seconds or SERIOUS_SHARE of the connection", () => {
  const severity = (stall: number, duration: number) => one(stalled(stall, duration), "zero-window")!.severity;

  it(`${SERIOUS_STALL} s of a long connection warns, a millisecond less is a note`, () => {
    const long = 100 * SERIOUS_STALL;
    expect(severity(SERIOUS_STALL, long)).toBe("warn");
    expect(severity(SERIOUS_STALL - 0.001, long)).toBe("info");
  });

  it(`${SERIOUS_SHARE * 100}% of a short connection warns, a little less is a note`, () => {
    const stall = SERIOUS_STALL / 2;
    expect(severity(stall, stall / SERIOUS_SHARE)).toBe("warn");
    expect(severity(stall, stall / SERIOUS_SHARE + 0.01)).toBe("info");
  });
});

/** Scaling on, the client's raw window `raw`, and `segments` data segments from the server. */
function quiet(raw: number, segments: number): SegmentSpec[] {
  const specs = handshake(7, 7);
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: 5001, win: raw, time: 0.06 });
  for (let i = 0; i < segments; i++) {
    const seq = 5001 + 100 * i;
    specs.push({ from: S, to: C, flags: "P.", seq, ack: 1001, win: 509, len: 100, time: 0.1 + i / 10 });
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack: seq + 100, win: raw, time: 0.13 + i / 10 });
  }
  return specs;
}

describe("scale-unverified: small raw windows and too little data to tell", () => {
  it(`a raw window below ${SMALL_RAW} is explained, ${SMALL_RAW} is not`, () => {
    const f = one(quiet(SMALL_RAW - 1, 1), "scale-unverified");
    expect(f).toMatchObject({ severity: "info", confidence: "certain" });
    expect(f!.message).toContain(
      `\`win ${SMALL_RAW - 1}\` means ${SMALL_RAW - 1} << 7 = ${(SMALL_RAW - 1) * 128} bytes`,
    );
    expect(one(quiet(SMALL_RAW, 1), "scale-unverified")).toBeUndefined();
  });

  it(`${ENOUGH - 1} data segments towards it are too few to tell, ${ENOUGH} show how the peer reads it`, () => {
    expect(one(quiet(100, ENOUGH - 1), "scale-unverified")!.message).toContain(
      `only ${ENOUGH - 1} data segment${ENOUGH - 1 === 1 ? "" : "s"} towards the client`,
    );
    expect(one(quiet(100, ENOUGH), "scale-unverified")).toBeUndefined();
  });
});

describe("syn-cookies on the lab's cookie captures (tcp_syncookies=2): possible alone, likely beside an answer with wscale", () => {
  const warnings = async (file: string) => {
    const r = await analyze([join(import.meta.dirname, "../captures", file)], { idleTimeout: 300 });
    return r.findings.filter((f) => f.severity !== "info");
  };
  const COOKIE = "answered with a SYN-ACK that carries only an MSS: what a SYN cookie looks like";

  it("client timestamps on: the cookie keeps wscale in its TSval, nothing to say", async () => {
    for (const side of ["client", "server"]) expect(await warnings(`syn-cookies.${side}.pcap`)).toEqual([]);
  });

  it("client timestamps off: MSS only, possible (a server with scaling off answers the same); a note unless the cap was hit", async () => {
    // At the server's end its flights visibly fill the unscaled 65535 bytes (tshark: 14 window-full
    // segments): warn. At the client's end that is not visible: info.
    for (const [side, severity] of [
      ["client", "info"],
      ["server", "warn"],
    ]) {
      const r = await analyze([join(import.meta.dirname, "../captures", `syn-cookies-no-ts.${side}.pcap`)], {
        idleTimeout: 300,
      });
      const got = r.findings.filter((f) => f.id === "syn-cookies");
      expect(got.map((f) => [f.connection, f.id, f.severity, f.confidence])).toEqual([
        ["c1", "syn-cookies", severity, "possible"],
      ]);
      expect(got[0]!.message).toContain(`The server 198.18.2.2:80 ${COOKIE} (the client sent no timestamps`);
      expect(got[0]!.message).toContain("though a server with window scaling and SACK turned off answers the same");
    }
  });

  it("one connection with timestamps, one without: the same server offered wscale, so likely", async () => {
    for (const side of ["client", "server"]) {
      const got = await warnings(`syn-cookies-mix.${side}.pcap`);
      expect(got.map((f) => [f.connection, f.id, f.severity, f.confidence])).toEqual([
        ["c2", "syn-cookies", "warn", "likely"],
      ]);
      expect(got[0]!.message).toContain(
        `${COOKIE} (the same server offered window scaling in 1 of its 2 SYN-ACKs in this capture)`,
      );
      expect(got[0]!.message).toContain("This is the server's own answer, not a box on the path.");
    }
  });
});
