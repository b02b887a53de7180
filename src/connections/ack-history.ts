import { seqAfter } from "./seq.js";

/** Distinct acknowledgment numbers kept per endpoint. */
export const ACK_HISTORY = 8;

/**
 * The last few acknowledgments an endpoint sent, each with the raw window it advertised with it:
 * what its peer may have known when it sent its next data. A capture that lost one ACK, or
 * records that arrived swapped, still leaves the right pair among these.
 * Newest first: ack(0) is the latest.
 */
export class AckHistory {
  private readonly acks = new Float64Array(ACK_HISTORY);
  private readonly wins = new Float64Array(ACK_HISTORY);
  private head = 0;
  count = 0;

  /** Back to a new one's state (a reused connection): entries past `count` are never read. */
  reset(): void {
    this.head = 0;
    this.count = 0;
  }

  /** The endpoint sent `ack` with raw window `win`; only advances (and window updates of the latest ack) are kept. */
  push(ack: number, win: number): void {
    if (this.count > 0) {
      const latest = this.acks[this.head]!;
      if (ack === latest) {
        this.wins[this.head] = win;
        return;
      }
      if (!seqAfter(ack, latest)) return; // an older ACK arriving late
    }
    this.head = (this.head + 1) % ACK_HISTORY;
    this.acks[this.head] = ack;
    this.wins[this.head] = win;
    if (this.count < ACK_HISTORY) this.count++;
  }

  ack(i: number): number {
    return this.acks[(this.head - i + ACK_HISTORY) % ACK_HISTORY]!;
  }

  win(i: number): number {
    return this.wins[(this.head - i + ACK_HISTORY) % ACK_HISTORY]!;
  }
}
