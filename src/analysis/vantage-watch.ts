/**
 * Same-traffic detection past the look-ahead: in a merged stream, the same packet arriving from
 * two inputs as two different records (another time beyond DUPLICATE_WINDOW_S, another TTL, other
 * addresses) means the inputs are two vantage points after all, e.g. one capture started long
 * after the other. Packets are sampled by their identity, so that both inputs sample the same
 * ones (every SYN, about one other segment in 64), and remembered for WATCH_WINDOW_S of capture
 * time: memory follows the packet rate, not the capture's length.
 */
import { SYN, type TcpSegment } from "../decode/segment.js";
import { mix53 } from "./dedup.js";
import { DUPLICATE_WINDOW_S } from "./same-traffic.js";

/** How long a sampled packet is remembered: path delay plus the offset between two hosts' clocks. */
export const WATCH_WINDOW_S = 10;
/** Sampled packets seen at two points before two inputs count as the same traffic. */
export const WATCH_MIN_MATCHES = 8;

interface Sighting {
  input: number;
  time: number;
  /** Addresses, ports, TTL and window: where it was seen. */
  place: number;
}

export interface LateMatch {
  a: number;
  b: number;
  /** Packets seen at both. */
  packets: number;
  /** Capture time of the first one. */
  since: number;
}

export class VantageWatch {
  private readonly sightings = new Map<number, Sighting>();
  private readonly order: { id: number; time: number }[] = [];
  private head = 0;
  private readonly pairs = new Map<string, LateMatch>();
  /** Per input, the time of its first record. */
  private readonly first: number[] = [];

  see(seg: TcpSegment): void {
    const t = seg.time;
    if (Number.isNaN(t)) return;
    if (this.first[seg.input] === undefined) this.first[seg.input] = t;
    if ((seg.flags & SYN) === 0 && !sampled(seg)) return;
    const id = identity(seg);
    this.forget(t - WATCH_WINDOW_S);
    const place = placeOf(seg);
    const seen = this.sightings.get(id);
    if (seen === undefined) {
      this.sightings.set(id, { input: seg.input, time: t, place });
      this.order.push({ id, time: t });
      return;
    }
    // A retransmission within one input, or the same record (the deduplicator's business).
    if (seen.input === seg.input) return;
    if (seen.place === place && Math.abs(seen.time - t) <= DUPLICATE_WINDOW_S) return;
    // Two points watch the same packet pass only when both were capturing then: a packet
    // retransmitted alike (no timestamps, IP ID 0) across two consecutive files is not one.
    if (!(this.first[seg.input]! <= seen.time)) return;
    const a = Math.min(seen.input, seg.input);
    const b = Math.max(seen.input, seg.input);
    const key = `${a}/${b}`;
    const m = this.pairs.get(key);
    if (m) m.packets++;
    else this.pairs.set(key, { a, b, packets: 1, since: Math.min(seen.time, t) });
  }

  /** Pairs of inputs (indices in the merge) found to hold the same packets at two points. */
  matches(): LateMatch[] {
    return [...this.pairs.values()].filter((m) => m.packets >= WATCH_MIN_MATCHES);
  }

  private forget(before: number): void {
    while (this.head < this.order.length && this.order[this.head]!.time < before) {
      const { id, time } = this.order[this.head++]!;
      if (this.sightings.get(id)?.time === time) this.sightings.delete(id);
    }
    // Drop the forgotten part of the queue now and then, not at every step.
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** About one segment in 64, chosen by what no box changes: the same ones at every vantage point. */
function sampled(seg: TcpSegment): boolean {
  return Math.imul(seg.seq ^ Math.imul(seg.ack ^ seg.payloadLength, 0x9e3779b1), 0x85ebca6b) >>> 26 === 0;
}

const IDENTITY = new Int32Array(5);
const PLACE = new Int32Array(10);

/**
 * What no box on the path changes (as Probe.id): sequence and ack numbers, flags, length, IP ID;
 * 53 bits, so that unrelated packets do not meet by chance over a long capture.
 */
function identity(seg: TcpSegment): number {
  const f = IDENTITY;
  f[0] = seg.seq;
  f[1] = seg.ack;
  f[2] = seg.flags;
  f[3] = seg.payloadLength;
  f[4] = seg.ipId;
  return mix53(f);
}

/** Addresses, ports, TTL and window: where a packet was seen. */
function placeOf(seg: TcpSegment): number {
  const f = PLACE;
  f[0] = (seg.ttl << 16) | seg.window;
  f[1] = (seg.srcPort << 16) | seg.dstPort;
  for (let k = 0; k < 4; k++) {
    f[2 + k] = seg.src[k]!;
    f[6 + k] = seg.dst[k]!;
  }
  return mix53(f);
}
