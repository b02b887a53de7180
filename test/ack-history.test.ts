/** The last ACKs an endpoint sent, each with its raw window: what its peer may have known. */
import { describe, expect, it } from "vitest";
import { ACK_HISTORY, AckHistory } from "../src/connections/ack-history.js";

const entries = (h: AckHistory) => Array.from({ length: h.count }, (_, i) => [h.ack(i), h.win(i)]);

describe("AckHistory", () => {
  it("newest first; a window update of the latest ACK replaces its window; an older ACK arriving late is ignored", () => {
    const h = new AckHistory();
    expect(h.count).toBe(0);
    h.push(1000, 10);
    h.push(2000, 20);
    h.push(2000, 25); // window update
    h.push(1500, 99); // late, older
    h.push(3000, 30);
    expect(entries(h)).toEqual([
      [3000, 30],
      [2000, 25],
      [1000, 10],
    ]);
  });

  it(`keeps the ${ACK_HISTORY} latest, across the 2^32 wrap`, () => {
    const h = new AckHistory();
    const acks = Array.from({ length: ACK_HISTORY + 3 }, (_, i) => (0xffff_fff0 + i * 5) >>> 0);
    for (const [i, a] of acks.entries()) h.push(a, i);
    expect(h.count).toBe(ACK_HISTORY);
    expect(entries(h)).toEqual(
      acks
        .map((a, i) => [a, i])
        .reverse()
        .slice(0, ACK_HISTORY),
    );
  });

  it("the first ACK of all is kept whatever its value, 0 included; reset forgets everything", () => {
    const h = new AckHistory();
    h.push(0, 7);
    expect(entries(h)).toEqual([[0, 7]]);
    h.reset();
    expect(h.count).toBe(0);
    h.push(0x8000_0000, 1); // would be "older" than 0 if anything were left of it
    expect(entries(h)).toEqual([[0x8000_0000, 1]]);
  });
});
