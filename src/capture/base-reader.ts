import { ByteWindow } from "./byte-window.js";
import type { Frame } from "./frame.js";
import type { CaptureIssue } from "./issue.js";
import type { FrameReader } from "./reader.js";

/** What both capture readers keep: their bytes, what went wrong, what they have seen. */
export abstract class BaseFrameReader implements FrameReader {
  abstract readonly format: "pcap" | "pcapng";
  readonly warnings: CaptureIssue[] = [];
  error: CaptureIssue | null = null;
  readonly linkTypes: number[] = [];
  frames = 0;
  protected readonly win = new ByteWindow();

  get window(): ByteWindow {
    return this.win;
  }

  feed(chunk: Uint8Array): void {
    this.win.feed(chunk);
  }

  abstract next(frame: Frame): boolean;
  abstract finish(): void;
}
