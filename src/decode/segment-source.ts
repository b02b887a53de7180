import type { ByteWindow } from "../capture/byte-window.js";
import { type Frame, newFrame } from "../capture/frame.js";
import type { CaptureIssue } from "../capture/issue.js";
import type { CaptureFormat, FrameReader } from "../capture/reader.js";
import { decodeFrame } from "./decode-frame.js";
import type { TcpSegment } from "./segment.js";
import { notDecodedWhat, skippedName } from "./skipped-names.js";
import { DECODE_STATUS_NAMES, DecodeStatus, STATUS_MASK } from "./status.js";

/**
 * Anything that turns an input's bytes into TCP segments: binary captures (frames decoded in
 * place) and tcpdump's text output alike. Same pull protocol as FrameReader: add bytes (into
 * `window` when there is one, else feed()), next() until false, and at the end finish() followed
 * by next() until false.
 */
export interface SegmentSource {
  readonly format: CaptureFormat;
  /** Where to read input bytes to without a copy, if this source has such a buffer. */
  readonly window?: ByteWindow;
  feed(chunk: Uint8Array): void;
  finish(): void;
  next(seg: TcpSegment): boolean;
  readonly warnings: CaptureIssue[];
  readonly error: CaptureIssue | null;
  readonly linkTypes: number[];
  /** Packets (frames or text lines describing a packet) read. */
  readonly packets: number;
  /** Packets that gave no TCP segment, by reason. */
  skipped(): Record<string, number>;
}

/** Link types and encapsulations named in a warning each, per input; more are only counted. */
const MAX_NAMED_WARNINGS = 16;

export class FrameSegmentSource implements SegmentSource {
  private readonly frame: Frame = newFrame();
  /** Indexed by DecodeStatus. */
  private readonly counts = new Float64Array(DECODE_STATUS_NAMES.length);
  /** Skips that name what was skipped (a link type, an encapsulation), by decodeFrame's result. */
  private readonly named = new Map<number, number>();

  constructor(private readonly reader: FrameReader) {}

  get format() {
    return this.reader.format;
  }
  get window() {
    return this.reader.window;
  }
  get warnings() {
    return this.reader.warnings;
  }
  get error() {
    return this.reader.error;
  }
  get linkTypes() {
    return this.reader.linkTypes;
  }
  get packets() {
    return this.reader.frames;
  }

  feed(chunk: Uint8Array): void {
    this.reader.feed(chunk);
  }

  finish(): void {
    this.reader.finish();
  }

  next(seg: TcpSegment): boolean {
    const frame = this.frame;
    while (this.reader.next(frame)) {
      const status = decodeFrame(frame, seg);
      if (status === DecodeStatus.Ok) return true;
      if (status <= STATUS_MASK) this.counts[status]!++;
      else this.countNamed(status, frame);
    }
    return false;
  }

  /** A link type or encapsulation that is not decoded: counted, and said once per input as a warning. */
  private countNamed(status: number, frame: Frame): void {
    const n = this.named.get(status);
    if (n !== undefined) {
      this.named.set(status, n + 1);
      return;
    }
    this.named.set(status, 1);
    // Damaged or odd traffic can name many kinds (any GRE protocol value): past a few, only count.
    if (this.named.size > MAX_NAMED_WARNINGS) return;
    this.reader.warnings.push({
      offset: frame.fileOffset,
      message:
        this.named.size < MAX_NAMED_WARNINGS
          ? `frame ${frame.number} and every one like it skipped: ${notDecodedWhat(status)} is not decoded`
          : `frame ${frame.number}: more kinds of packets that are not decoded; from here on they are only counted in the skipped packets`,
    });
  }

  skipped(): Record<string, number> {
    const out: Record<string, number> = {};
    this.counts.forEach((n, i) => {
      if (n > 0) out[DECODE_STATUS_NAMES[i]!] = n;
    });
    for (const [status, n] of this.named) out[skippedName(status)] = n;
    return out;
  }
}
