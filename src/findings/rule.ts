import type { Connection } from "../connections/connection.js";
import type { Endpoint } from "../connections/endpoint.js";
import type { ConnectionSummary } from "../connections/summary.js";
import type { Finding } from "./finding.js";

/** What every rule sees: the finalised connection's full state and its report summary. */
export interface RuleContext {
  conn: Connection;
  summary: ConnectionSummary;
}

/** A rule looks at one finalised connection and returns what it can show, or nothing. */
export type Rule = (ctx: RuleContext) => Finding[];

export function roleOf(conn: Connection, e: Endpoint): "client" | "server" {
  return e === conn.client ? "client" : "server";
}

export function label(conn: Connection, e: Endpoint): string {
  return `${roleOf(conn, e)} ${e.describe()}`;
}
