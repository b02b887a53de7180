import type { Frame } from "./frame.js";
import type { CaptureIssue } from "./issue.js";

export type CaptureFormat = "pcap" | "pcapng" | "tcpdump-text";

/**
 * Turns a byte stream into frames, pull-style and without copying: feed() chunks in order, call
 * next() until it returns false (it needs more bytes, or reading stopped), feed again; finish() at
 * end of input. Problems are data, not exceptions: `warnings` for damage that was skipped,
 * `error` once the input cannot be read further.
 */
export interface FrameReader {
  readonly format: CaptureFormat;
  feed(chunk: Uint8Array): void;
  next(frame: Frame): boolean;
  finish(): void;
  readonly warnings: CaptureIssue[];
  readonly error: CaptureIssue | null;
  /** Link types seen so far, in order of first appearance. */
  readonly linkTypes: number[];
  /** Frames delivered so far. */
  readonly frames: number;
}

/** The largest frame any supported capture can legitimately hold (Wireshark's limit too). */
export const MAX_CAPLEN = 262_144;
