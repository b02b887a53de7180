import type { Connection } from "../connections/connection.js";
import type { Endpoint } from "../connections/endpoint.js";
import type { CaptureQualitySummary } from "../connections/quality.js";
import type { ServerProfiles } from "../connections/server-profiles.js";
import type { ConnectionSummary } from "../connections/summary.js";
import { formatBits, formatDuration } from "../kernel/units.js";
import type { Finding } from "./finding.js";

/** What every rule sees: the finalised connection's full state and its report summary. */
export interface RuleContext {
  conn: Connection;
  summary: ConnectionSummary;
  /** What the capture missed, reordered or doubled on this connection: pattern evidence weighs less when poor. */
  quality: CaptureQualitySummary;
  /** What each server answered on the other connections of this input (SYN cookies stand out against it). */
  servers: ServerProfiles | null;
  /**
   * A finding with this id will only be counted: the sampler already summarises it once for the
   * input, so a rule may leave its message and evidence out (they would be built and dropped for
   * each of thousands of connections).
   */
  onlyCounted(id: string): boolean;
}

/** A finding that will only be counted (see RuleContext.onlyCounted): no text, no evidence. */
export function counted(id: string, severity: Finding["severity"], connection: string): Finding {
  return { id, severity, confidence: "certain", connection, message: "", evidence: [], advice: [] };
}

/** A rule looks at one finalised connection and returns what it can show, or nothing. */
export type Rule = (ctx: RuleContext) => Finding[];

export function roleOf(conn: Connection, e: Endpoint): "client" | "server" {
  return e === conn.client ? "client" : "server";
}

export function label(conn: Connection, e: Endpoint): string {
  return `${roleOf(conn, e)} ${e.describe()}`;
}

/** Bits per second a window allows per round trip, in words ("26.2 Mbit/s"); "?" without an RTT. */
export function windowRate(window: number, rttSeconds: number): string {
  return rttSeconds > 0 ? formatBits((window * 8) / rttSeconds) : "?";
}

export function rttText(rttSeconds: number): string {
  return rttSeconds > 0 ? formatDuration(rttSeconds) : "an unknown RTT";
}

/** New data per second an endpoint achieved while sending, in bits/s words. */
export function goodput(e: Endpoint): string {
  const span = e.lastDataTime - e.firstDataTime;
  return span > 0 ? formatBits((e.goodBytes * 8) / span) : "?";
}

/**
 * Share of the sender's flights (new data between two advances of the peer's ACK) that filled the
 * peer's window to within one MSS: a window-limited sender fills every one, however long it
 * then waits.
 */
export function windowFullShare(e: Endpoint): number {
  return e.flights > 0 ? e.windowFullFlights / e.flights : 0;
}

/** windowBound: share of flights that filled the window, ... */
export const BOUND_FULL_SHARE = 0.3;
/** ... or round trips of sending, at a rate between these shares of what the window allows. */
export const BOUND_ROUNDS = 4;
export const BOUND_MIN_RATE = 0.5;
export const BOUND_MAX_RATE = 1.1;

/**
 * A transfer in either direction ran into the receive window: its sender filled the window in at
 * least 30% of its flights (seen near the sender), or over at least four round trips it moved at
 * least half of what the window allows per round trip, and not more than that allows (seen
 * anywhere, also near the receiver, where flights arrive spread out; faster than the window
 * allows means the sender reads a larger window than this capture point does). A missing shift
 * then cost throughput here, not in principle.
 */
export function windowBound(conn: Connection): boolean {
  const rtt = conn.rtt;
  for (const sender of [conn.client, conn.server]) {
    if (windowFullShare(sender) >= BOUND_FULL_SHARE) return true;
    const receiver = sender.peer;
    const span = sender.lastDataTime - sender.firstDataTime;
    if (receiver.shift === null || receiver.windows === 0 || !(rtt > 0) || !(span >= BOUND_ROUNDS * rtt)) continue;
    const ceiling = (receiver.rawMax * 2 ** receiver.shift) / rtt;
    const rate = sender.goodBytes / span;
    if (rate >= BOUND_MIN_RATE * ceiling && rate <= BOUND_MAX_RATE * ceiling) return true;
  }
  return false;
}

export function directionFrom(conn: Connection, sender: Endpoint): "client-to-server" | "server-to-client" {
  return sender === conn.client ? "client-to-server" : "server-to-client";
}

/** "1 probe", "3 probes": a count with its noun, never "probe(s)". */
export function plural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : pluralNoun}`;
}
