/**
 * Records repeated across inputs that are merged into one stream (the same file twice, a file and
 * its gzip, two overlapping captures of one interface) are counted once. Inputs are merged in
 * time order, so the records of one packet meet within DUPLICATE_WINDOW_S of each other (plus
 * the wait the merge gives a copy, so that the original comes first): only the fingerprints of
 * the last two such stretches are kept, in two hash tables over typed arrays that take turns
 * (the older one is emptied at once by a new stamp), so a record costs no allocation.
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

/** Fingerprints of one stretch of time, with how many records of each input had them. */
class Stretch {
  keys: Float64Array;
  stamps: Int32Array;
  counts: Int32Array;
  size = 0;
  stamp = 1;

  constructor(
    private readonly inputs: number,
    capacity = 1024,
  ) {
    this.keys = new Float64Array(capacity);
    this.stamps = new Int32Array(capacity);
    this.counts = new Int32Array(capacity * inputs);
  }

  /** The slot holding `key`, or -1. */
  find(key: number, hash: number): number {
    const mask = this.keys.length - 1;
    for (let i = hash & mask; this.stamps[i] === this.stamp; i = (i + 1) & mask) if (this.keys[i] === key) return i;
    return -1;
  }

  /** The slot holding `key`, made if missing. */
  slot(key: number, hash: number): number {
    if (2 * (this.size + 1) > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let i = hash & mask;
    for (; this.stamps[i] === this.stamp; i = (i + 1) & mask) if (this.keys[i] === key) return i;
    this.stamps[i] = this.stamp;
    this.keys[i] = key;
    this.counts.fill(0, i * this.inputs, (i + 1) * this.inputs);
    this.size++;
    return i;
  }

  clear(): void {
    this.stamp++;
    this.size = 0;
  }

  private grow(): void {
    const { keys, stamps, counts, stamp } = this;
    const n = this.inputs;
    this.keys = new Float64Array(keys.length * 2);
    this.stamps = new Int32Array(keys.length * 2);
    this.counts = new Int32Array(keys.length * 2 * n);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      if (stamps[i] !== stamp) continue;
      const j = this.slot(keys[i]!, slotHash(keys[i]!));
      this.counts.set(counts.subarray(i * n, (i + 1) * n), j * n);
    }
  }
}

/** Records of the last span while one input had them to itself: merge time, fingerprint, input. */
class Solo {
  times = new Float64Array(256);
  keys = new Float64Array(256);
  inputs = new Int32Array(256);
  start = 0;
  length = 0;

  push(time: number, key: number, input: number): void {
    if (this.length === this.times.length) this.grow();
    const k = (this.start + this.length) & (this.times.length - 1);
    this.times[k] = time;
    this.keys[k] = key;
    this.inputs[k] = input;
    this.length++;
  }

  dropBefore(time: number): void {
    const mask = this.times.length - 1;
    while (this.length > 0 && this.times[this.start]! < time) {
      this.start = (this.start + 1) & mask;
      this.length--;
    }
  }

  private grow(): void {
    const mask = this.times.length - 1;
    const size = this.times.length * 2;
    const times = new Float64Array(size);
    const keys = new Float64Array(size);
    const inputs = new Int32Array(size);
    for (let k = 0; k < this.length; k++) {
      const from = (this.start + k) & mask;
      times[k] = this.times[from]!;
      keys[k] = this.keys[from]!;
      inputs[k] = this.inputs[from]!;
    }
    this.times = times;
    this.keys = keys;
    this.inputs = inputs;
    this.start = 0;
  }
}

export class RecordDeduplicator {
  /** Per input: records dropped, and the input they repeated. */
  readonly repeats: (Repeats | null)[];
  private current: Stretch;
  private previous: Stretch;
  private stretch = Number.NEGATIVE_INFINITY;
  private readonly span: number;
  private readonly totals: Int32Array;
  /** Per input, the merge time of its last record. */
  private readonly last: Float64Array;
  /**
   * While one input has the last span to itself (one capture in several files, the usual case),
   * its records cannot repeat another's and only wait here, out of the tables, in case another
   * input starts within the span.
   */
  private readonly solo = new Solo();

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
    this.current = new Stretch(inputs);
    this.previous = new Stretch(inputs);
    this.totals = new Int32Array(inputs);
    this.last = new Float64Array(inputs).fill(Number.NEGATIVE_INFINITY);
  }

  /**
   * Whether to analyse this record. Of the records of one packet in several inputs, as many are
   * kept as the input holding the most of them has (a packet captured twice in one file stays
   * twice), so a record of input i is dropped while another input already had as many.
   */
  keep(seg: TcpSegment): boolean {
    if (Number.isNaN(seg.time)) return true; // records without times cannot be paired
    // Times in merge order: a copy delayed by the merge must still find its original here.
    const t = this.mergeTime(seg);
    const i = seg.input;
    const key = fingerprint(seg);
    let alone = true;
    for (let j = 0; j < this.inputs; j++) if (j !== i && this.last[j]! >= t - this.span) alone = false;
    if (t > this.last[i]!) this.last[i] = t;
    if (alone) {
      this.solo.dropBefore(t - this.span);
      this.solo.push(t, key, i);
      return true;
    }
    this.advance(t);
    // Another input has started: what the first one had to itself goes into the tables now.
    const solo = this.solo;
    const mask = solo.times.length - 1;
    for (let k = 0; k < solo.length; k++) {
      const at = (solo.start + k) & mask;
      if (solo.times[at]! >= t - this.span) this.count(solo.keys[at]!, solo.inputs[at]!);
    }
    solo.length = 0;

    const n = this.inputs;
    const now = this.count(key, i);
    const hash = slotHash(key);
    this.totals.fill(0);
    const before = this.previous.find(key, hash);
    if (before >= 0) for (let j = 0; j < n; j++) this.totals[j]! += this.previous.counts[before * n + j]!;
    for (let j = 0; j < n; j++) this.totals[j]! += this.current.counts[now * n + j]!;
    let most = 0;
    let of = -1;
    for (let j = 0; j < n; j++) {
      if (j !== i && this.totals[j]! > most) {
        most = this.totals[j]!;
        of = j;
      }
    }
    if (this.totals[i]! > most) return true;
    const r = this.repeats[i];
    if (r) r.records++;
    else this.repeats[i] = { records: 1, of };
    return false;
  }

  /** One more record of `key` from `input` in the current stretch; its slot there. */
  private count(key: number, input: number): number {
    const slot = this.current.slot(key, slotHash(key));
    this.current.counts[slot * this.inputs + input]!++;
    return slot;
  }

  /** Stretches of `span` seconds: a record finds every other record of the last span in these two. */
  private advance(t: number): void {
    const stretch = Math.floor(t / this.span);
    if (stretch <= this.stretch) return;
    const older = this.previous;
    if (stretch === this.stretch + 1) {
      this.previous = this.current;
      this.current = older;
      this.current.clear();
    } else {
      this.previous.clear();
      this.current.clear();
    }
    this.stretch = stretch;
  }
}

const FIELDS_V4 = new Int32Array(9);
const FIELDS_V6 = new Int32Array(15);

/**
 * What makes a record one packet at one capture point, from the fixed headers only (a copy with
 * a smaller snapshot length may lack the options), as a 53-bit number: two independent 32-bit
 * mixes (a clash between two records within a millisecond is out of reach). A retransmission
 * alike within the millisecond is told apart by counting (see keep()).
 */
function fingerprint(seg: TcpSegment): number {
  const words = seg.ipVersion === 4 ? 1 : 4;
  const f = words === 1 ? FIELDS_V4 : FIELDS_V6;
  f[0] = seg.seq;
  f[1] = seg.ack;
  f[2] = (seg.flags << 16) | seg.window;
  f[3] = seg.payloadLength;
  f[4] = seg.ipId;
  f[5] = (seg.ttl << 16) | seg.srcPort;
  f[6] = seg.dstPort;
  for (let k = 0; k < words; k++) {
    f[7 + k] = seg.src[k]!;
    f[7 + words + k] = seg.dst[k]!;
  }
  return mix53(f);
}

/** Two 32-bit FNV-style mixes of the fields, as one 53-bit number. */
export function mix53(f: Int32Array): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x27d4eb2f;
  for (let k = 0; k < f.length; k++) {
    const v = f[k]!;
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 ^ v, 0x85ebca6b);
    h2 ^= h2 >>> 13;
  }
  return (h1 >>> 0) * 2 ** 21 + (h2 >>> 11);
}

/** Table slots from a fingerprint's low bits (the second mix). */
function slotHash(key: number): number {
  return key % 2097152;
}
