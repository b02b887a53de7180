import type { Severity } from "./finding.js";

/**
 * Every finding id wscale can emit, registered once (as Wireshark registers its expert items):
 * the table, JSON, NDJSON, HTML, Markdown and pcapng comments read their one-line summary and
 * group from here instead of keeping their own copies. `severity` is the usual one; a rule may
 * raise or lower it for one connection and says why in its message.
 */
export interface CatalogueEntry {
  id: string;
  /** What the finding is about: the window-scale negotiation, the path, the transfer, or the RFC. */
  group: "negotiation" | "path" | "transfer" | "protocol" | "capture";
  severity: Severity;
  /** One line, no numbers: what it means. */
  summary: string;
}

const ENTRIES: CatalogueEntry[] = [
  {
    id: "scale-rewritten",
    group: "path",
    severity: "error",
    summary: "a box on the path rewrote a window-scale shift: one end reads the other's windows too small",
  },
  {
    id: "scale-stripped",
    group: "path",
    severity: "warn",
    summary: "the window-scale option was removed on the path, or scaling is disabled on the peer",
  },
  {
    id: "scale-asymmetric",
    group: "path",
    severity: "error",
    summary: "the two ends disagree on whether scaling is on, or on the shift",
  },
  {
    id: "option-cleared-nops",
    group: "path",
    severity: "warn",
    summary: "a SYN option was overwritten with NOPs by a box upstream of the capture point",
  },
  {
    id: "scale-declined",
    group: "negotiation",
    severity: "warn",
    summary: "the responder itself declined window scaling",
  },
  {
    id: "syn-cookies",
    group: "negotiation",
    severity: "warn",
    summary: "the server answered with a SYN cookie: scaling (and SACK) lost for this connection",
  },
  {
    id: "window-enforcing-middlebox",
    group: "path",
    severity: "error",
    summary: "a stateful box drops data beyond the unscaled window edge",
  },
  {
    id: "window-limited",
    group: "transfer",
    severity: "info",
    summary: "the receive window, not the network, bounded the transfer",
  },
  {
    id: "scale-too-small",
    group: "transfer",
    severity: "warn",
    summary: "scaling works, but the shift is too small for the bandwidth-delay product",
  },
  {
    id: "zero-window",
    group: "transfer",
    severity: "info",
    summary: "the receiver advertised a zero window: its application did not read (not a scaling problem)",
  },
  {
    id: "scale-unknown",
    group: "negotiation",
    severity: "info",
    summary: "no handshake captured: the shift is inferred, not known",
  },
  {
    id: "scale-unverified",
    group: "negotiation",
    severity: "info",
    summary: "scaling negotiated, but too little data to see how the peer reads the windows",
  },
  {
    id: "wscale-on-synack-without-syn",
    group: "protocol",
    severity: "warn",
    summary: "RFC 7323: a SYN-ACK carried window scaling although the SYN did not",
  },
  {
    id: "wscale-out-of-range",
    group: "protocol",
    severity: "warn",
    summary: "RFC 7323: a shift above 14, used as 14",
  },
  {
    id: "wscale-on-non-syn",
    group: "protocol",
    severity: "info",
    summary: "RFC 7323: a window-scale option on a segment without SYN, ignored",
  },
  {
    id: "wscale-bad-length",
    group: "protocol",
    severity: "warn",
    summary: "RFC 7323: a window-scale option whose length is not 3, ignored",
  },
  { id: "path-stripped-wscale", group: "path", severity: "error", summary: "the path removed the window-scale option" },
  { id: "path-stripped-option", group: "path", severity: "warn", summary: "the path removed a TCP option" },
  {
    id: "path-cleared-option",
    group: "path",
    severity: "error",
    summary: "the path overwrote a TCP option with NOPs",
  },
  { id: "path-rewrote-wscale", group: "path", severity: "error", summary: "the path changed the window-scale shift" },
  { id: "path-rewrote-window", group: "path", severity: "info", summary: "the path changed a SYN's window field" },
  { id: "path-added-option", group: "path", severity: "info", summary: "the path added a TCP option" },
  { id: "path-clamped-mss", group: "path", severity: "info", summary: "the path lowered the MSS (MSS clamping)" },
  {
    id: "path-rewrote-isn",
    group: "path",
    severity: "info",
    summary: "the path rewrote initial sequence numbers (a sequence-randomising firewall)",
  },
  { id: "path-proxy", group: "path", severity: "warn", summary: "a proxy on the path terminates TCP" },
];

export const CATALOGUE: ReadonlyMap<string, CatalogueEntry> = new Map(ENTRIES.map((e) => [e.id, e]));

/** The registered entry of a finding id; an unregistered id is a bug (tests check every rule's ids). */
export function catalogueEntry(id: string): CatalogueEntry | undefined {
  return CATALOGUE.get(id);
}
