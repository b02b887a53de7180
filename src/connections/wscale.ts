/** What one endpoint's SYN said about window scaling (RFC 7323 section 2). */
export type WscaleOffer =
  | { readonly state: "present"; readonly shift: number }
  | { readonly state: "absent" }
  /** No SYN seen from this side, or its option block was cut by the snapshot length. */
  | { readonly state: "unknown" };

export const ABSENT: WscaleOffer = { state: "absent" };
export const UNKNOWN: WscaleOffer = { state: "unknown" };

/** RFC 7323 2.3: a shift above 14 is used as 14. */
export const MAX_SHIFT = 14;

export function offered(shift: number): WscaleOffer {
  return { state: "present", shift };
}

/** The shift actually applied, given what each side offered: scaling needs both SYNs to carry it. */
export type ScalingState = "on" | "off" | "unknown";

export function scalingState(client: WscaleOffer, server: WscaleOffer): ScalingState {
  if (client.state === "absent" || server.state === "absent") return "off";
  if (client.state === "present" && server.state === "present") return "on";
  return "unknown";
}

/** Shift applied to windows advertised by the endpoint that offered `own`; null when not known. */
export function effectiveShift(own: WscaleOffer, state: ScalingState): number | null {
  if (state === "off") return 0;
  if (state === "unknown" || own.state !== "present") return null;
  return Math.min(own.shift, MAX_SHIFT);
}
