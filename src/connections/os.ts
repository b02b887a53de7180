/**
 * Which operating system sent a SYN or SYN-ACK, p0f style: the initial TTL (the observed one rounded up to
 * 32/64/128/255), the option layout and its padding (the table in stacks.ts), and the window field against each
 * stack's typical values. The knowledge is in the table; this file only weighs it.
 */

import type { Endpoint, SynInfo } from "./endpoint.js";
import { layoutText, matchLayout, type OsFamily, restoredLayout, STACKS, type StackLayout } from "./stacks.js";

export type OsConfidence = "likely" | "possible" | "none";

export interface OsGuess {
  /** "unknown" when the packets do not tell (no SYN seen, or several families fit equally). */
  family: OsFamily | "unknown";
  confidence: OsConfidence;
  /** What the guess rests on, one fact per line, with this packet's numbers. */
  evidence: string[];
  /** Families that fit the packet when more than one does (for advice in each one's terms). */
  candidates: OsFamily[];
}

/** Initial TTLs stacks use; the observed TTL rounded up to the next one is where the host started. */
const INITIAL_TTLS = [32, 64, 128, 255] as const;

/** The initial TTL a packet seen with `ttl` most likely started with; null when the TTL is unknown (0). */
export function initialTtlOf(ttl: number): number | null {
  if (!(ttl > 0)) return null;
  for (const t of INITIAL_TTLS) if (ttl <= t) return t;
  return 255;
}

/**
 * The window field matches a p0f-style hint: "65535", "mss*44" (44 segments, also of the MSS less the 12 bytes
 * of timestamps), or "mss*" (any whole number of segments).
 */
function windowFits(hint: string, syn: SynInfo): boolean {
  const m = /^mss\*(\d*)$/.exec(hint);
  if (m === null) return Number(hint) === syn.window;
  if (syn.mss === null || syn.mss <= 12 || syn.window === 0) return false;
  const fits = (seg: number) => (m[1] === "" ? syn.window % seg === 0 : syn.window === seg * Number(m[1]));
  return fits(syn.mss) || (syn.timestamps && fits(syn.mss - 12));
}

function windowHint(rows: readonly StackLayout[], syn: SynInfo): string | null {
  for (const r of rows) for (const h of r.window ?? []) if (windowFits(h, syn)) return h;
  return null;
}

const FAMILY_NAMES: Record<OsFamily, string> = {
  linux: "Linux",
  windows: "Windows",
  macos: "macOS/iOS",
  freebsd: "FreeBSD",
  netbsd: "NetBSD",
  openbsd: "OpenBSD",
  solaris: "Solaris",
  other: "another stack",
};

export function familyName(f: OsFamily | "unknown"): string {
  return f === "unknown" ? "an unknown OS" : FAMILY_NAMES[f];
}

/** Every family's rows, to name the typical windows of a family whatever the layout. */
function rowsOf(family: OsFamily): StackLayout[] {
  return STACKS.filter((s) => s.family === family);
}

/** Infer the OS family from one SYN or SYN-ACK. */
export function inferOsFromSyn(syn: SynInfo): OsGuess {
  const evidence: string[] = [];
  const what = syn.synAck ? "SYN-ACK" : "SYN";
  const ittl = initialTtlOf(syn.ttl);
  if (ittl !== null) {
    evidence.push(
      ittl === syn.ttl
        ? `${what} TTL ${syn.ttl}: initial, no router before the capture point`
        : `${what} TTL ${syn.ttl}: initial TTL ${ittl}, ${ittl - syn.ttl} hop${ittl - syn.ttl === 1 ? "" : "s"} away`,
    );
  }
  if (syn.optionsTruncated) {
    evidence.push(`${what} options cut by the snapshot length: the layout is unknown`);
    return guessFromTtl(ittl, evidence);
  }
  const layout = layoutText(syn.optionKinds);
  let rows = matchLayout(syn.optionKinds, syn.synAck);
  let restoredNote: string | null = null;
  if (rows.length === 0) {
    const r = restoredLayout(syn.optionKinds, syn.synAck);
    if (r !== null) {
      rows = r.rows;
      restoredNote = `${what} options ${layout}: NOPs where a ${r.name} option stood (overwritten on the path); with it back in place the layout is ${layoutText(r.kinds)}`;
    }
  }
  if (rows.length === 0) {
    evidence.push(`${what} options ${layout || "(none)"}: no known stack sends this layout`);
    return guessFromTtl(ittl, evidence);
  }
  // A TTL at or below 32 is usually a 64 from far away (no stack in the table starts at 32).
  const atTtl =
    ittl === null ? rows : rows.filter((r) => r.initialTtl === ittl || (ittl === 32 && r.initialTtl === 64));
  if (atTtl.length === 0) {
    const fams = unique(rows.map((r) => r.family));
    evidence.push(
      `${what} options ${layout}: the layout of ${fams.map(familyName).join(" or ")} (initial TTL ${unique(rows.map((r) => r.initialTtl)).join("/")}), not of a stack starting at ${ittl}: ` +
        "a box on the path (NAT, proxy, load balancer) may have sent or rewritten it",
    );
    // Nothing fits layout and TTL together: no candidate (advice then names every family's knob).
    return { family: "unknown", confidence: "none", evidence, candidates: [] };
  }
  evidence.push(restoredNote ?? `${what} options ${layout}: ${describeRows(atTtl)}`);
  let families = unique(atTtl.map((r) => r.family));
  // Several families send this layout at this TTL: the window field decides if it fits only some of them.
  if (families.length > 1) {
    const fitting = families.filter((f) => windowHint(rowsOf(f), syn) !== null);
    if (fitting.length > 0 && fitting.length < families.length) {
      const hint = windowHint(rowsOf(fitting[0]!), syn);
      evidence.push(`window ${syn.window}${hintText(hint, syn)}: typical of ${fitting.map(familyName).join(" or ")}`);
      families = fitting;
    } else {
      evidence.push(`${families.map(familyName).join(", ")} all send this layout with this TTL`);
    }
  }
  if (families.length > 1) return { family: "unknown", confidence: "none", evidence, candidates: families };
  const family = families[0]!;
  const hint = windowHint(rowsOf(family), syn);
  const distinctive = unique(rows.map((r) => r.family)).length === 1;
  if (hint !== null && !evidence.some((e) => e.startsWith("window "))) {
    evidence.push(`window ${syn.window}${hintText(hint, syn)}: typical of ${familyName(family)}`);
  }
  const confidence: OsConfidence =
    ittl !== null && restoredNote === null && (distinctive || hint !== null) ? "likely" : "possible";
  return { family, confidence, evidence, candidates: [family] };
}

function hintText(hint: string | null, syn: SynInfo): string {
  if (hint === null || !hint.startsWith("mss*") || syn.mss === null) return "";
  return syn.window % syn.mss === 0
    ? ` = ${syn.window / syn.mss} x MSS ${syn.mss}`
    : ` = ${syn.window / (syn.mss - 12)} x (MSS ${syn.mss} - 12)`;
}

function describeRows(rows: readonly StackLayout[]): string {
  const labels = unique(rows.map((r) => r.label));
  return labels.length <= 3 ? labels.join("; ") : `${labels.slice(0, 3).join("; ")}; ...`;
}

/** No layout to go by: the initial TTL alone narrows the family (128 is Windows' alone among ours). */
function guessFromTtl(ittl: number | null, evidence: string[]): OsGuess {
  if (ittl === null) return { family: "unknown", confidence: "none", evidence, candidates: [] };
  const fams = unique(STACKS.filter((s) => s.initialTtl === ittl).map((s) => s.family));
  if (fams.length === 1) return { family: fams[0]!, confidence: "possible", evidence, candidates: fams };
  if (fams.length === 0) {
    evidence.push(`initial TTL ${ittl} is none of the stacks in the table (network equipment often starts at 255)`);
    return { family: "other", confidence: "possible", evidence, candidates: [] };
  }
  return { family: "unknown", confidence: "none", evidence, candidates: fams };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

const UNKNOWN_NO_SYN: OsGuess = {
  family: "unknown",
  confidence: "none",
  evidence: ["no SYN or SYN-ACK from this side was captured"],
  candidates: [],
};

/**
 * Cache by what the guess depends on: thousands of connections share a handful of signatures. The key is a
 * number (a hash of the fields and option kinds); a hit is checked field by field, so a collision only costs
 * an inference.
 */
interface Cached {
  syn: SynInfo;
  guess: OsGuess;
}
const cache = new Map<number, Cached>();
const CACHE_LIMIT = 4096;

function signatureHash(syn: SynInfo): number {
  let h = (syn.ttl * 65536 + syn.window) ^ ((syn.mss ?? 0) * 7919);
  h = (h * 31 + (syn.synAck ? 1 : 0) * 2 + (syn.timestamps ? 1 : 0) + (syn.optionsTruncated ? 4 : 0)) | 0;
  for (const k of syn.optionKinds) h = (h * 31 + k) | 0;
  return h;
}

/** Every field the guess depends on is equal (exported for its test: a collision must never share a guess). */
export function sameSignature(a: SynInfo, b: SynInfo): boolean {
  if (
    a.ttl !== b.ttl ||
    a.window !== b.window ||
    a.mss !== b.mss ||
    a.synAck !== b.synAck ||
    a.timestamps !== b.timestamps ||
    a.optionsTruncated !== b.optionsTruncated ||
    a.optionKinds.length !== b.optionKinds.length
  )
    return false;
  for (let i = 0; i < a.optionKinds.length; i++) if (a.optionKinds[i] !== b.optionKinds[i]) return false;
  return true;
}

/** The OS family of an endpoint, from its SYN (client) or SYN-ACK (server). */
export function inferOs(e: Endpoint): OsGuess {
  const syn = e.syn;
  if (syn === null) return UNKNOWN_NO_SYN;
  const h = signatureHash(syn);
  const hit = cache.get(h);
  if (hit !== undefined && sameSignature(hit.syn, syn)) return hit.guess;
  const guess = inferOsFromSyn(syn);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(h, { syn, guess });
  return guess;
}
