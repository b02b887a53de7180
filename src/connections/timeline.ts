import { ACK, RST, SYN, type TcpSegment } from "../decode/segment.js";
import type { Endpoint } from "./endpoint.js";
import { seqDiff } from "./seq.js";
import type { Timeline } from "./summary.js";

/** Points kept per series at most; past that, each run of four becomes its minimum and maximum. */
const CAPACITY = 2048;

/**
 * One bounded time series. Only changes are stored (windows change rarely), and when full, every
 * four consecutive points collapse into their minimum and maximum (in time order), so memory
 * stays bounded whatever the connection's length and spikes and dips survive the thinning.
 */
export class Series {
  private t = new Float64Array(8); // grows on demand: most connections are short
  private v = new Float64Array(8);
  private f = new Uint32Array(8);
  private n = 0;

  push(time: number, value: number, frame: number): void {
    const n = this.n;
    if (n > 0 && this.v[n - 1] === value) return;
    if (n === this.t.length) {
      if (n < CAPACITY) this.grow();
      else this.thin();
    }
    const i = this.n++;
    this.t[i] = time;
    this.v[i] = value;
    this.f[i] = frame;
  }

  points(origin: number): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) out.push([round(this.t[i]! - origin), this.v[i]!]);
    return out;
  }

  /** Time of the first point at or after `frame` (frames grow with time within one input). */
  timeOfFrame(frame: number): number {
    for (let i = 0; i < this.n; i++) if (this.f[i]! >= frame) return this.t[i]!;
    return Number.NaN;
  }

  private grow(): void {
    const size = Math.min(CAPACITY, this.t.length * 2);
    const t = new Float64Array(size);
    const v = new Float64Array(size);
    const f = new Uint32Array(size);
    t.set(this.t);
    v.set(this.v);
    f.set(this.f);
    this.t = t;
    this.v = v;
    this.f = f;
  }

  private thin(): void {
    let out = 0;
    for (let i = 0; i < this.n; i += 4) {
      const end = Math.min(i + 4, this.n);
      let lo = i;
      let hi = i;
      for (let j = i + 1; j < end; j++) {
        if (this.v[j]! < this.v[lo]!) lo = j;
        if (this.v[j]! > this.v[hi]!) hi = j;
      }
      this.copy(Math.min(lo, hi), out++);
      if (hi !== lo) this.copy(Math.max(lo, hi), out++);
    }
    this.n = out;
  }

  private copy(from: number, to: number): void {
    this.t[to] = this.t[from]!;
    this.v[to] = this.v[from]!;
    this.f[to] = this.f[from]!;
  }
}

/**
 * A bounded table of points with several values each (time first), in time order. When full,
 * `merge` folds each pair (or run) of neighbours into fewer points, so memory stays bounded.
 */
class Rows {
  private cols: Float64Array[];
  n = 0;

  constructor(
    private readonly width: number,
    private readonly merge: (rows: Rows, from: number, to: number, out: number) => number,
  ) {
    this.cols = Array.from({ length: width }, () => new Float64Array(8));
  }

  get(col: number, i: number): number {
    return this.cols[col]![i]!;
  }

  set(col: number, i: number, v: number): void {
    this.cols[col]![i] = v;
  }

  push(...values: number[]): void {
    if (this.n === this.cols[0]!.length) {
      if (this.n < CAPACITY) {
        this.cols = this.cols.map((c) => {
          const bigger = new Float64Array(Math.min(CAPACITY, c.length * 2));
          bigger.set(c);
          return bigger;
        });
      } else {
        let out = 0;
        for (let i = 0; i < this.n; i += 4) out = this.merge(this, i, Math.min(i + 4, this.n), out);
        this.n = out;
      }
    }
    const i = this.n++;
    for (let k = 0; k < this.width; k++) this.cols[k]![i] = values[k]!;
  }

  copy(from: number, to: number): void {
    for (const c of this.cols) c[to] = c[from]!;
  }

  rows(origin: number): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.n; i++) {
      const r = this.cols.map((c) => c[i]!);
      r[0] = round(r[0]! - origin);
      out.push(r);
    }
    return out;
  }
}

/** Data segments: [t, start, end, retransmitted (0/1)]; a run of four becomes one or two spanning them. */
function mergeSegments(rows: Rows, from: number, to: number, out: number): number {
  // Two halves, each one vertical bar from its lowest start to its highest end, retransmitted if any was.
  for (let h = from; h < to; h += 2) {
    const e = Math.min(h + 2, to);
    let start = rows.get(1, h);
    let end = rows.get(2, h);
    let re = rows.get(3, h);
    for (let j = h + 1; j < e; j++) {
      start = Math.min(start, rows.get(1, j));
      end = Math.max(end, rows.get(2, j));
      re = Math.max(re, rows.get(3, j));
    }
    rows.copy(h, out);
    rows.set(1, out, start);
    rows.set(2, out, end);
    rows.set(3, out, re);
    out++;
  }
  return out;
}

/** ACKs: [t, ack, raw window]; of a run of four keep the one with the smallest window and the last. */
function mergeAcks(rows: Rows, from: number, to: number, out: number): number {
  let lo = from;
  for (let j = from + 1; j < to; j++) if (rows.get(2, j) < rows.get(2, lo)) lo = j;
  rows.copy(lo, out++);
  if (lo !== to - 1) rows.copy(to - 1, out++);
  return out;
}

/**
 * What tcptrace's time-sequence graph draws for one direction of data: the sender's segments
 * (sequence numbers relative to its first one) and the receiver's ACKs with the raw window each
 * carried, so that the window edge can be drawn with any shift (the one the receiver applies, and
 * the one its peer really reads it with). Sequence numbers are unwrapped: a transfer past 4 GiB
 * keeps climbing.
 */
export class SequenceRecorder {
  /** Absolute sequence number taken as 0 (the SYN's, so that the first data byte is 1). */
  private base = 0;
  private hasBase = false;
  /** Highest sequence number sent, absolute and relative (unwrapped). */
  private highAbs = 0;
  private highRel = 0;
  private hasHigh = false;
  readonly segments = new Rows(4, mergeSegments);
  readonly acks = new Rows(3, mergeAcks);

  /** Highest data byte sent, for bytes in flight; null before any data. */
  get highest(): number | null {
    return this.hasHigh ? this.highAbs : null;
  }

  /** Where an absolute sequence number lies relative to the base (unwrapped through the highest one). */
  private rel(seq: number): number {
    return this.hasHigh ? this.highRel + seqDiff(seq, this.highAbs) : seqDiff(seq, this.base);
  }

  /** A segment the sender sent; `retransmitted` as the connection judged it (a reordered record is not). */
  send(seg: TcpSegment, time: number, retransmitted: boolean): void {
    if (!this.hasBase) {
      this.base = (seg.flags & SYN) !== 0 ? seg.seq : (seg.seq - 1) >>> 0;
      this.hasBase = true;
    }
    const len = seg.payloadLength;
    if (len === 0 || (seg.flags & (SYN | RST)) !== 0) return;
    const start = this.rel(seg.seq);
    const end = start + len;
    if (!this.hasHigh || end > this.highRel) {
      this.highRel = end;
      this.highAbs = (seg.seq + len) >>> 0;
      this.hasHigh = true;
    }
    this.segments.push(time, start, end, retransmitted ? 1 : 0);
  }

  ack(seg: TcpSegment, time: number): void {
    if (!this.hasBase || (seg.flags & ACK) === 0 || (seg.flags & (SYN | RST)) !== 0) return;
    const n = this.acks.n;
    const ack = this.rel(seg.ack);
    // Only changes: a run of identical ACKs (duplicates, keepalives) is one point.
    if (n > 0 && this.acks.get(1, n - 1) === ack && this.acks.get(2, n - 1) === seg.window) return;
    this.acks.push(time, ack, seg.window);
  }

  toData(origin: number): SequenceData {
    return {
      segments: this.segments.rows(origin) as SequenceData["segments"],
      acks: this.acks.rows(origin) as SequenceData["acks"],
    };
  }
}

/** One direction of data for the time-sequence graph (times in seconds since the connection's first packet). */
export interface SequenceData {
  /** [t, start, end, retransmitted]: sequence numbers relative to the sender's SYN; 1 = a retransmission. */
  segments: [number, number, number, 0 | 1][];
  /** [t, ack, raw window]: the receiver's acknowledgments and the raw window field each carried. */
  acks: [number, number, number][];
}

/** What the HTML report charts, recorded only when asked for (`--format html`). */
export class TimelineRecorder {
  readonly clientWindow = new Series();
  readonly serverWindow = new Series();
  readonly clientInFlight = new Series();
  readonly serverInFlight = new Series();
  /** Data the client sent (and the server's ACKs of it), and the other way. */
  readonly clientData = new SequenceRecorder();
  readonly serverData = new SequenceRecorder();
  readonly events: Timeline["events"] = [];
  /** Each side's retransmission count after its last segment: a change marks the next one. */
  private clientRetransmissions = 0;
  private serverRetransmissions = 0;

  /**
   * One segment, after the connection's state took it in: the window `from` advertised (scaled by
   * the shift it applies), both sides' bytes in flight (data only, as Wireshark counts them), and
   * the time-sequence points.
   */
  record(seg: TcpSegment, fromClient: boolean, from: Endpoint, to: Endpoint): void {
    const t = seg.time;
    if ((seg.flags & (SYN | RST)) === 0) {
      const win = from.shift === null ? seg.window : seg.window << from.shift; // < 2^30: shift <= 14
      (fromClient ? this.clientWindow : this.serverWindow).push(t, win, seg.frame);
    }
    const mine = fromClient ? this.clientData : this.serverData;
    const theirs = fromClient ? this.serverData : this.clientData;
    // A retransmission as the connection counted it (Wireshark's rule), so the graph and the numbers agree.
    const retransmitted =
      from.retransmissions !== (fromClient ? this.clientRetransmissions : this.serverRetransmissions);
    if (fromClient) this.clientRetransmissions = from.retransmissions;
    else this.serverRetransmissions = from.retransmissions;
    mine.send(seg, t, retransmitted);
    theirs.ack(seg, t);
    // What this segment sent and what it acknowledged change both sides' bytes in flight.
    const sent = mine.highest;
    if (sent !== null && to.hasAck)
      (fromClient ? this.clientInFlight : this.serverInFlight).push(
        t,
        Math.max(0, seqDiff(sent, to.maxAck)),
        seg.frame,
      );
    const got = theirs.highest;
    if (got !== null && from.hasAck)
      (fromClient ? this.serverInFlight : this.clientInFlight).push(
        t,
        Math.max(0, seqDiff(got, from.maxAck)),
        seg.frame,
      );
  }

  toTimeline(origin: number): Timeline {
    return {
      clientWindow: this.clientWindow.points(origin),
      serverWindow: this.serverWindow.points(origin),
      clientInFlight: this.clientInFlight.points(origin),
      serverInFlight: this.serverInFlight.points(origin),
      clientData: this.clientData.toData(origin),
      serverData: this.serverData.toData(origin),
      events: this.events.map((e) => ({ ...e, t: round(e.t - origin) })),
    };
  }

  /** About when a frame was seen: the earliest point at or after it in any series. */
  timeOfFrame(frame: number): number {
    const times = [this.clientWindow, this.serverWindow, this.clientInFlight, this.serverInFlight]
      .map((s) => s.timeOfFrame(frame))
      .filter((t) => t >= 0);
    return times.length > 0 ? Math.min(...times) : Number.NaN;
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
