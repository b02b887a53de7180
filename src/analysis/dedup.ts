/**
 * Records repeated across inputs that are merged into one stream (the same file twice, a file and
 * its gzip, two overlapping captures of one interface) are counted once. Inputs are merged in
 * time order, so the records of one packet meet within DUPLICATE_WINDOW_S of each other (plus
 * the wait the merge gives a copy, so that the original comes first): only the fingerprints of
 * that last stretch are kept (a map, and a queue to forget them in time order).
 * A record repeated within one input is left alone (the connection tracker counts those).
 */
import type { TcpSegment } from "../decode/segment.js";
import { DUPLICATE_WINDOW_S } from "./same-traffic.js";

export interface Repeats {
  /** Records of this input dropped because another input had the same record. */
  records: number;
  /** The input that had them first (the first one seen). */
  of: number;
}

/** One fingerprint of the recent stretch: how many records of it each input had, and when the last came. */
interface Seen {
  last: number;
  counts: number[];
}

export class RecordDeduplicator {
  private readonly seen = new Map<number, Seen>();
  /** Fingerprints in the order they were (last) seen, with that time: a ring of pairs. */
  private queueTimes = new Float64Array(1024);
  private queuePrints = new Float64Array(1024);
  private head = 0;
  private size = 0;
  /** Per input: records dropped, and the input they repeated. */
  readonly repeats: (Repeats | null)[];

  /**
   * `mergeTime`: the time the merge orders a record by (AnalyzeOptions.mergeTime); `wait`: the
   * most it adds to a record's own time.
   */
  constructor(
    private readonly inputs: number,
    private readonly mergeTime: (seg: TcpSegment) => number = (seg) => seg.time,
    wait = 0,
  ) {
    this.repeats = Array.from({ length: inputs }, () => null);
    this.span = DUPLICATE_WINDOW_S + wait;
  }

  private readonly span: number;

  /**
   * Whether to analyse this record. Of the records of one packet in several inputs, as many are
   * kept as the input holding the most of them has (a packet captured twice in one file stays
   * twice), so a record of input i is dropped while another input already had as many.
   */
  keep(seg: TcpSegment): boolean {
    if (Number.isNaN(seg.time)) return true; // records without times cannot be paired
    const i = seg.input;
    // Times in merge order: a copy delayed by the merge must still find its original here.
    const t = this.mergeTime(seg);
    this.forget(t - this.span);
    const print = fingerprint(seg);
    let entry = this.seen.get(print);
    if (entry === undefined) {
      entry = { last: t, counts: new Array<number>(this.inputs).fill(0) };
      this.seen.set(print, entry);
    }
    entry.last = t;
    this.enqueue(t, print);
    const mine = ++entry.counts[i]!;
    let most = 0;
    let of = -1;
    entry.counts.forEach((n, j) => {
      if (j !== i && n > most) {
        most = n;
        of = j;
      }
    });
    if (mine > most) return true;
    const r = this.repeats[i];
    if (r) r.records++;
    else this.repeats[i] = { records: 1, of };
    return false;
  }

  private forget(before: number): void {
    const mask = this.queueTimes.length - 1;
    while (this.size > 0 && this.queueTimes[this.head]! < before) {
      const print = this.queuePrints[this.head]!;
      const entry = this.seen.get(print);
      // Seen again since: a later place in the queue forgets it.
      if (entry !== undefined && entry.last < before) this.seen.delete(print);
      this.head = (this.head + 1) & mask;
      this.size--;
    }
  }

  private enqueue(time: number, print: number): void {
    if (this.size === this.queueTimes.length) this.grow();
    const i = (this.head + this.size) & (this.queueTimes.length - 1);
    this.queueTimes[i] = time;
    this.queuePrints[i] = print;
    this.size++;
  }

  private grow(): void {
    const mask = this.queueTimes.length - 1;
    const times = new Float64Array(this.queueTimes.length * 2);
    const prints = new Float64Array(this.queueTimes.length * 2);
    for (let k = 0; k < this.size; k++) {
      times[k] = this.queueTimes[(this.head + k) & mask]!;
      prints[k] = this.queuePrints[(this.head + k) & mask]!;
    }
    this.queueTimes = times;
    this.queuePrints = prints;
    this.head = 0;
  }
}

/**
 * Everything that makes a record one packet at one capture point, as a 53-bit number: two
 * independent 32-bit mixes (a clash between two records within a millisecond is out of reach).
 */
function fingerprint(seg: TcpSegment): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x27d4eb2f;
  const mix = (v: number) => {
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 ^ v, 0x85ebca6b);
    h2 ^= h2 >>> 13;
  };
  mix(seg.seq);
  mix(seg.ack);
  mix((seg.flags << 16) | seg.window);
  mix(seg.payloadLength);
  mix(seg.ipId);
  mix((seg.ttl << 16) | seg.srcPort);
  mix(seg.dstPort);
  mix(seg.hasTimestamp ? seg.tsVal : -1);
  mix(seg.tsEcr);
  for (let k = 0; k < 4; k++) {
    mix(seg.src[k]!);
    mix(seg.dst[k]!);
  }
  return (h1 >>> 0) * 2 ** 21 + (h2 >>> 11);
}
