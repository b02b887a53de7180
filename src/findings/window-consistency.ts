import type { Endpoint } from "../connections/endpoint.js";

/**
 * What an endpoint's own windows say about the shift it applies. Right after the handshake a
 * stack advertises about the window of its SYN, now shifted by the shift it believes in force:
 * Linux sends win 64240 in the SYN and 64240 >> 10 = 62 in the first ACK. Comparing the two
 * reveals a shift that this capture point did not see negotiated.
 */
export interface HiddenShift {
  /** "larger": the endpoint scales by more than the shift in force here; "none": it does not scale at all. */
  kind: "larger" | "none";
  /** The shift the endpoint evidently applies. */
  applied: number;
  synWindow: number;
  firstRaw: number;
  frame: number;
}

export function hiddenShift(e: Endpoint): HiddenShift | null {
  const syn = e.syn;
  if (syn === null || e.windows === 0 || e.shift === null || e.rawFirst === 0 || syn.window === 0) return null;
  const scaled = e.rawFirst * 2 ** e.shift;
  const base = { synWindow: syn.window, firstRaw: e.rawFirst, frame: e.rawFirstFrame };
  // A factor of 4 or more below the SYN window: no stack shrinks its window like that before any data.
  if (scaled * 4 <= syn.window) {
    return { kind: "larger", applied: e.shift + Math.round(Math.log2(syn.window / scaled)), ...base };
  }
  // Still about the SYN window although a shift of 2+ is in force: the endpoint is not scaling.
  // (Larger-than-SYN windows are normal: Windows and macOS open up right after the handshake.)
  if (e.shift >= 2 && e.rawFirst * 2 >= syn.window) return { kind: "none", applied: 0, ...base };
  return null;
}
