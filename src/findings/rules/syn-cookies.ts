import type { Connection } from "../../connections/connection.js";
import type { ServerProfiles } from "../../connections/server-profiles.js";
import { MAX_UNSCALED_WINDOW } from "../../kernel/linux-wscale.js";
import type { Confidence, Finding } from "../finding.js";
import { type RuleContext, rttText, windowBound, windowRate } from "../rule.js";

/**
 * Option kinds a Linux SYN cookie answer keeps without client timestamps: MSS only
 * (net/ipv4/tcp_input.c, tcp_conn_request: `if (want_cookie && !tmp_opt.saw_tstamp) tcp_clear_options()`).
 */
const MSS = 2;
const EOL = 0;

export interface SynCookieEvidence {
  confidence: Confidence;
  /** Why we think so, in words. */
  why: string;
  /** A SYN-ACK of the same server that carried wscale, on another connection (0: none seen). */
  otherFrame: number;
}

/**
 * A SYN-ACK that carries MSS and nothing else (no wscale, no SACK-permitted, no NOPs standing
 * where they were removed) to a SYN that offered both: the server answered from a SYN cookie.
 * Linux encodes wscale and SACK in the timestamp of a cookie SYN-ACK, so only a client that sent
 * no timestamps (Windows by default) loses them; or the same server offered them on other
 * connections of this capture.
 */
export function synCookieEvidence(conn: Connection, servers: ServerProfiles | null): SynCookieEvidence | null {
  const c = conn.client.syn;
  const s = conn.server.syn;
  if (c === null || s === null || c.wscale.state !== "present" || !c.sackPermitted) return null;
  if (s.wscale.state !== "absent" || s.sackPermitted || s.timestamps || s.optionsTruncated) return null;
  // MSS and nothing else: no NOPs either (a box that overwrote options would leave NOPs in their place).
  if (!s.optionKinds.includes(MSS) || s.optionKinds.some((k) => k !== MSS && k !== EOL)) return null;
  const profile = servers?.get(conn.server.addr, conn.server.ipVersion, conn.server.port);
  const elsewhere = profile !== undefined && profile.withWscale > 0;
  if (elsewhere) {
    return {
      confidence: "likely",
      why: `the same server offered window scaling in ${profile.withWscale} of its ${profile.synAcks} SYN-ACKs in this capture`,
      otherFrame: profile.wscaleFrame,
    };
  }
  // Without timestamps only Linux drops the options (FreeBSD keeps wscale and SACK in the cookie itself):
  // a server whose packets start at TTL 64 (not an embedded stack at 255 that never scales).
  if (!c.timestamps && s.ttl > 32 && s.ttl <= 64) {
    return {
      confidence: "possible",
      why: "the client sent no timestamps, and a SYN cookie can carry wscale and SACK only inside the timestamp",
      otherFrame: 0,
    };
  }
  return null;
}

export function synCookies({ conn, summary, servers }: RuleContext): Finding[] {
  const ev = synCookieEvidence(conn, servers);
  if (ev === null) return [];
  const c = conn.client;
  const s = conn.server;
  const rtt = conn.rtt;
  const evidence = [
    {
      frame: c.syn!.frame.frame,
      note: `SYN offers wscale ${c.offered.state === "present" ? c.offered.shift : "?"} and SACK${c.syn!.timestamps ? "" : ", no timestamps"}`,
    },
    { frame: s.syn!.frame.frame, note: "SYN-ACK with MSS only: no wscale, no SACK-permitted, no NOP padding" },
  ];
  if (ev.otherFrame > 0)
    evidence.push({ frame: ev.otherFrame, note: "another SYN-ACK of the same server, with wscale" });
  return [
    {
      id: "syn-cookies",
      // Not a box on the path either way; "possible" (or a server with scaling off) is a note unless it capped this transfer.
      severity: ev.confidence === "possible" && !windowBound(conn) ? "info" : "warn",
      confidence: ev.confidence,
      connection: summary.id,
      message:
        `The server ${s.describe()} answered with a SYN-ACK that carries only an MSS: what a SYN cookie looks like (${ev.why})` +
        (ev.confidence === "possible"
          ? ", though a server with window scaling and SACK turned off answers the same. "
          : ". ") +
        `A server falls back to SYN cookies when its listen queue overflows (or with net.ipv4.tcp_syncookies=2); the connection then has no window scaling and no SACK, ` +
        `so windows are capped at ${MAX_UNSCALED_WINDOW} bytes: ${windowRate(MAX_UNSCALED_WINDOW, rtt)} at ${rttText(rtt)}. This is the server's own answer, not a box on the path.`,
      evidence,
      advice: [
        {
          kind: "sysctl",
          command: "ss -ltn; nstat -az TcpExtSyncookiesSent TcpExtListenOverflows",
          why: `on the server ${s.describe()}: confirm cookies were sent and the accept queue overflowed (Recv-Q at Send-Q on the listening socket)`,
        },
        {
          kind: "sysctl",
          command: "sysctl -w net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=8192",
          why: "on the server: a longer accept queue and SYN backlog; the application's own listen(2) backlog must be raised as well (e.g. nginx `listen ... backlog=4096`)",
        },
        {
          kind: "os",
          command: "netsh int tcp set global timestamps=enabled",
          why: "on Windows clients: with TCP timestamps a Linux server's SYN cookie keeps window scaling and SACK",
        },
      ],
    },
  ];
}
