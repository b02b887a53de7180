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

/**
 * A side whose advertised windows its peer reads with another shift than the one the side applies
 * (the seed case: the client applies 10, the server reads its windows with 0). Reports show the
 * window "as the peer reads it" from this.
 */
export interface ShiftMismatch {
  side: "client" | "server";
  /** The shift the side applies to the windows it advertises (null: not known). */
  applied: number | null;
  /** The shift its peer reads them with. */
  readWith: number;
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
  /** This finding stands for that many connections: a note summarised once per input. */
  summaryOf?: number;
  /** Set by the findings that prove the two ends read windows with different shifts. */
  readAs?: ShiftMismatch[];
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };
