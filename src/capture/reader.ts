import type { ByteWindow } from "./byte-window.js";
import type { Frame } from "./frame.js";
import type { CaptureIssue } from "./issue.js";

export type CaptureFormat = "pcap" | "pcapng" | "tcpdump-text";

/**
 * Turns a byte stream into frames, pull-style and without copying: put bytes into `window` (read
 * straight into its free space, or feed() a chunk), call next() until it returns false (it needs
 * more bytes, or reading stopped), add more; at end of input finish(), then next() until false. Problems are data, not exceptions: `warnings` for damage that was skipped,
 * `error` once the input cannot be read further.
 */
export interface FrameReader {
  readonly format: CaptureFormat;
  readonly window: ByteWindow;
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
