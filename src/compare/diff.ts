import type { SynSummary } from "../connections/summary.js";
import type { Direction } from "../findings/finding.js";
import type { Packet, PathDiff } from "./types.js";

/** Bytes each option takes, for telling "overwritten with NOPs" from "removed" (unknown: null). */
const OPTION_LENGTH: Record<string, number> = { mss: 4, wscale: 3, sackOK: 2, TS: 10 };

const PADDING = new Set(["nop", "eol"]);

function count(names: string[], name: string): number {
  let n = 0;
  for (const x of names) if (x === name) n++;
  return n;
}

/** Option names other than padding, in order. */
export function realOptions(syn: SynSummary): string[] {
  return syn.options.filter((o) => !PADDING.has(o));
}

function optionValue(syn: SynSummary, name: string): number | string | null {
  if (name === "wscale") return syn.wscale;
  if (name === "mss") return syn.mss;
  if (name === "TS") return syn.tsVal;
  return name;
}

/**
 * How the same SYN or SYN-ACK changed between the capture it passed first (`up`) and the one it
 * reached later (`down`): options removed (header shortened), cleared (overwritten with NOPs in
 * place: as many more NOP bytes as the option had), changed in value, added, or reordered; and
 * the header fields a box may rewrite: the window field and the ISN. An option block cut by the
 * snapshot length hides what came after the cut, so nothing is said about those options.
 */
export function diffSyn(
  up: SynSummary,
  down: SynSummary,
  packet: Packet,
  direction: Direction,
  frames: { a: number; b: number },
): PathDiff[] {
  const out: PathDiff[] = [];
  const add = (field: string, change: PathDiff["change"], from: PathDiff["from"], to: PathDiff["to"]) =>
    out.push({ direction, packet, field, change, from, to, frames });
  const upNames = realOptions(up);
  const downNames = realOptions(down);

  const removed: string[] = [];
  if (!down.optionsTruncated) {
    for (const name of new Set(upNames)) {
      for (let k = count(downNames, name); k < count(upNames, name); k++) removed.push(name);
    }
  }
  // NOP bytes that appeared on the way: each cleared option left as many as it was long.
  let extraNops = Math.max(0, count(down.options, "nop") - count(up.options, "nop"));
  for (const name of removed) {
    const len = OPTION_LENGTH[name] ?? 2;
    const cleared = extraNops >= len;
    if (cleared) extraNops -= len;
    add(name, cleared ? "cleared" : "removed", optionValue(up, name), null);
  }
  if (!up.optionsTruncated) {
    for (const name of new Set(downNames)) {
      for (let k = count(upNames, name); k < count(downNames, name); k++)
        add(name, "added", null, optionValue(down, name));
    }
  }
  // Values of options present at both points (a value cut by the snapshot length is unknown: null).
  if (upNames.includes("wscale") && downNames.includes("wscale") && up.wscale !== null && down.wscale !== null) {
    if (up.wscale !== down.wscale) add("wscale", "changed", up.wscale, down.wscale);
  }
  if (up.mss !== null && down.mss !== null && up.mss !== down.mss) add("mss", "changed", up.mss, down.mss);
  if (up.tsVal !== null && down.tsVal !== null && up.tsVal !== down.tsVal)
    add("tsVal", "changed", up.tsVal, down.tsVal);
  if (
    !up.optionsTruncated &&
    !down.optionsTruncated &&
    removed.length === 0 &&
    upNames.length === downNames.length &&
    upNames.some((n, i) => n !== downNames[i])
  ) {
    add("options", "reordered", up.options.join(","), down.options.join(","));
  }
  if (up.window !== down.window) add("window", "changed", up.window, down.window);
  if (up.isn !== down.isn) add("isn", "changed", up.isn, down.isn);
  return out;
}
