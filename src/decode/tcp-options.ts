import { OptionsState, type TcpSegment } from "./segment.js";

const EOL = 0;
const NOP = 1;
const MSS = 2;
const WSCALE = 3;
const SACK_PERMITTED = 4;
const SACK = 5;
const TIMESTAMP = 8;

/**
 * Walk the option block b[start, end) into `seg`. `present` is how much of it was captured: a
 * block cut short leaves what follows unknown (OptionsState.Truncated), never absent.
 */
export function decodeTcpOptions(b: Uint8Array, start: number, end: number, present: number, seg: TcpSegment): void {
  // Fast path for most segments of a Linux, BSD or macOS connection: nop, nop, timestamps.
  if (
    end - start === 12 &&
    present >= end &&
    b[start] === NOP &&
    b[start + 1] === NOP &&
    b[start + 2] === TIMESTAMP &&
    b[start + 3] === 10
  ) {
    seg.clearOptions();
    seg.hasTimestamp = true;
    seg.tsVal = b[start + 4]! * 0x1000000 + ((b[start + 5]! << 16) | (b[start + 6]! << 8) | b[start + 7]!);
    seg.tsEcr = b[start + 8]! * 0x1000000 + ((b[start + 9]! << 16) | (b[start + 10]! << 8) | b[start + 11]!);
    seg.optionKinds[0] = NOP;
    seg.optionKinds[1] = NOP;
    seg.optionKinds[2] = TIMESTAMP;
    seg.optionCount = 3;
    seg.longestNopRun = 2;
    return;
  }
  seg.clearOptions();
  const limit = present < end ? present : end;
  let nopRun = 0;
  let o = start;
  while (o < end) {
    if (o >= limit) {
      seg.optionsState = OptionsState.Truncated;
      break;
    }
    const kind = b[o]!;
    seg.optionKinds[seg.optionCount++] = kind;
    if (kind === NOP) {
      if (++nopRun > seg.longestNopRun) seg.longestNopRun = nopRun;
      o++;
      continue;
    }
    nopRun = 0;
    if (kind === EOL) break;
    if (o + 1 >= limit) {
      seg.optionsState = o + 1 >= end ? OptionsState.Malformed : OptionsState.Truncated;
      break;
    }
    const len = b[o + 1]!;
    if (len < 2 || o + len > end) {
      seg.optionsState = OptionsState.Malformed;
      break;
    }
    if (o + len > limit) {
      seg.optionsState = OptionsState.Truncated;
      break;
    }
    switch (kind) {
      case MSS:
        if (len === 4) seg.mss = (b[o + 2]! << 8) | b[o + 3]!;
        break;
      case WSCALE:
        // A wrong length is recorded (RFC violation finding); the shift is read only when it exists.
        seg.wscaleCount++;
        seg.wscaleLength = len;
        if (len >= 3) seg.wscale = b[o + 2]!;
        break;
      case SACK_PERMITTED:
        seg.sackPermitted = true;
        break;
      case TIMESTAMP:
        if (len === 10) {
          seg.hasTimestamp = true;
          seg.tsVal = b[o + 2]! * 0x1000000 + ((b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!);
          seg.tsEcr = b[o + 6]! * 0x1000000 + ((b[o + 7]! << 16) | (b[o + 8]! << 8) | b[o + 9]!);
        }
        break;
      case SACK: {
        let q = o + 2;
        while (q + 8 <= o + len && seg.sackCount < 4) {
          const i = seg.sackCount++ * 2;
          seg.sack[i] = b[q]! * 0x1000000 + ((b[q + 1]! << 16) | (b[q + 2]! << 8) | b[q + 3]!);
          seg.sack[i + 1] = b[q + 4]! * 0x1000000 + ((b[q + 5]! << 16) | (b[q + 6]! << 8) | b[q + 7]!);
          q += 8;
        }
        break;
      }
      default:
        break;
    }
    o += len;
  }
}
