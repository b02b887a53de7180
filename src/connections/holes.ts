import { fieldCopier } from "./field-copier.js";
import { seqDiff } from "./seq.js";

/** More open holes than this at once: the oldest is given up (the capture is too poor to track). */
const MAX_HOLES = 8;

/**
 * Ranges of one side's sequence space that the capture has not seen: a segment started beyond
 * the highest sequence number seen so far. A hole closes when the data arrives (a retransmission
 * of what was lost before the capture point, or a segment that was only reordered), or when the
 * peer acknowledges it: then the data crossed the wire and the capture missed it.
 * A fixed-size array: a connection's cost does not grow with its length.
 */
export class SeqHoles {
  /**
   * Per hole: start, end, and the capture time it opened (the segment beyond it was seen). Made at
   * the first hole: most connections never have one, and many short ones are alive at once.
   */
  private h: Float64Array | null = null;
  count = 0;
  /** Bytes the latest `fill` took out of the holes: seen for the first time. */
  filled = 0;
  /** A hole had to be given up: data below this sequence number may be missing unseen (NaN: none). */
  gaveUpBelow = Number.NaN;
  /**
   * The latest range acknowledged before it was captured, and when: if its data shows up just
   * after, the capture only stored the ACK before the data (records out of order), nothing was missed.
   */
  private missedStart = 0;
  private missedEnd = 0;
  private missedAt = Number.NaN;

  /** Back to a new one's state (a reused connection): the arrays hold nothing past `count`. */
  reset(): void {
    resetHoles(this);
  }

  /** [start, end) was skipped by a segment seen at time t. */
  open(start: number, end: number, t: number): void {
    if (this.count === MAX_HOLES) {
      this.gaveUpBelow = this.h![1]!;
      this.removeAt(0);
    }
    this.h ??= new Float64Array(3 * MAX_HOLES);
    const i = this.count++;
    this.h![3 * i] = start;
    this.h![3 * i + 1] = end;
    this.h![3 * i + 2] = t;
  }

  /**
   * Data [s, e) arrived. Returns the opening time of the first hole it fills (part of), or NaN
   * when it fills none: then it is data the capture had already seen.
   */
  fill(s: number, e: number): number {
    let first = Number.NaN;
    this.filled = 0;
    for (let i = 0; i < this.count; ) {
      const hs = this.h![3 * i]!;
      const he = this.h![3 * i + 1]!;
      if (seqDiff(e, hs) <= 0 || seqDiff(s, he) >= 0) {
        i++;
        continue;
      }
      if (Number.isNaN(first)) first = this.h![3 * i + 2]!;
      const keepLow = seqDiff(s, hs) > 0;
      const keepHigh = seqDiff(he, e) > 0;
      this.filled += seqDiff(keepHigh ? e : he, keepLow ? s : hs);
      if (keepLow && keepHigh) {
        // The data landed inside the hole: it splits in two.
        this.h![3 * i + 1] = s;
        if (this.count < MAX_HOLES) this.insertAfter(i, e, he, this.h![3 * i + 2]!);
        i += 2;
      } else if (keepLow) {
        this.h![3 * i + 1] = s;
        i++;
      } else if (keepHigh) {
        this.h![3 * i] = e;
        i++;
      } else {
        this.removeAt(i);
      }
    }
    return first;
  }

  /**
   * The peer acknowledged everything below `ack`: whatever of the holes lies below it crossed
   * the wire unseen. Returns those bytes and how many holes they were in.
   */
  acknowledge(ack: number, t: number): { bytes: number; holes: number } {
    if (seqDiff(ack, this.gaveUpBelow) >= 0) this.gaveUpBelow = Number.NaN;
    let bytes = 0;
    let holes = 0;
    for (let i = 0; i < this.count; ) {
      const hs = this.h![3 * i]!;
      if (seqDiff(ack, hs) <= 0) {
        i++;
        continue;
      }
      const he = this.h![3 * i + 1]!;
      holes++;
      this.missed(hs, seqDiff(ack, he) >= 0 ? he : ack, t);
      if (seqDiff(ack, he) >= 0) {
        bytes += seqDiff(he, hs);
        this.removeAt(i);
      } else {
        bytes += seqDiff(ack, hs);
        this.h![3 * i] = ack;
        i++;
      }
    }
    return { bytes, holes };
  }

  /** [start, end) was acknowledged at time t without having been captured. */
  missed(start: number, end: number, t: number): void {
    this.missedStart = start;
    this.missedEnd = end;
    this.missedAt = t;
  }

  /**
   * Data [s, e) seen at time t, within `window` seconds of being acknowledged unseen: the records
   * were only stored out of order. Returns the bytes no longer missing (0 if it is not that case).
   */
  reclaim(s: number, e: number, t: number, window: number): number {
    if (!(t - this.missedAt <= window) || seqDiff(s, this.missedStart) < 0 || seqDiff(e, this.missedEnd) > 0) return 0;
    if (s === this.missedStart) this.missedStart = e;
    else if (e === this.missedEnd) this.missedEnd = s;
    return seqDiff(e, s);
  }

  private removeAt(i: number): void {
    for (let j = i + 1; j < this.count; j++) {
      this.h![3 * (j - 1)] = this.h![3 * j]!;
      this.h![3 * (j - 1) + 1] = this.h![3 * j + 1]!;
      this.h![3 * (j - 1) + 2] = this.h![3 * j + 2]!;
    }
    this.count--;
  }

  private insertAfter(i: number, s: number, e: number, t: number): void {
    for (let j = this.count; j > i + 1; j--) {
      this.h![3 * j] = this.h![3 * (j - 1)]!;
      this.h![3 * j + 1] = this.h![3 * (j - 1) + 1]!;
      this.h![3 * j + 2] = this.h![3 * (j - 1) + 2]!;
    }
    this.h![3 * (i + 1)] = s;
    this.h![3 * (i + 1) + 1] = e;
    this.h![3 * (i + 1) + 2] = t;
    this.count++;
  }
}

const resetHoles = fieldCopier(new SeqHoles(), ["h"]);
