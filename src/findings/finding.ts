export type Severity = "info" | "warn" | "error";
export type Confidence = "certain" | "likely" | "possible";
export type Direction = "client-to-server" | "server-to-client";

export interface Evidence {
  frame: number;
  /** Index of the input file, when several were analysed together. */
  input?: number;
  note: string;
}

export interface Advice {
  kind: "path" | "route" | "sysctl" | "os";
  command: string;
  why: string;
}

/** One diagnosis about one connection (SPEC section 4). `id` names the rule and never changes. */
export interface Finding {
  id: string;
  severity: Severity;
  confidence: Confidence;
  connection: string;
  message: string;
  evidence: Evidence[];
  advice: Advice[];
  direction?: Direction;
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };
