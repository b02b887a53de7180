import { SYN, type TcpSegment } from "../decode/segment.js";
import type { Connection } from "./connection.js";
import { seqDiff } from "./seq.js";
import { hashEndpoints } from "./tuple-hash.js";

/**
 * Seconds after a close during which stray segments of the finished connection are expected: a
 * FIN or final ACK sent again when the other end's ACK was lost (RTO backoff: 0.2, 0.6, 1.4 s ...),
 * a RST answering them, a record the capture stored late.
 */
export const AFTER_CLOSE_SECONDS = 10;
/** A straggler's sequence number lies this close to where its sender stopped. */
const SAME_SPACE = 1 << 26;
/** At most this many finished connections remembered (the oldest forgotten first). */
const MAX_REMEMBERED = 1 << 16;

/** A finished connection's 4-tuple, and where each side's sequence numbers ended (-1: it sent nothing). */
class Remembered {
  readonly client = new Uint32Array(4);
  readonly server = new Uint32Array(4);
  clientPort = 0;
  serverPort = 0;
  clientNext = -1;
  serverNext = -1;
  expires = 0;
  hash = 0;
}

/**
 * What is left of connections that closed and were reported, for AFTER_CLOSE_SECONDS. A closed
 * connection is finalised soon after its close (its memory serves the next one), and what still
 * comes for it is counted here instead of opening a connection of its own without a handshake. A
 * SYN is never absorbed (the 4-tuple reused), nor a segment in another sequence space (a new
 * connection whose SYN was not captured). Looked up only for segments of no live connection, by
 * the tracker's 4-tuple hash (one entry per hash: a collision forgets the older, which then
 * counts as a connection of its own, as before this existed).
 */
export class AfterClose {
  private readonly byHash = new Map<number, Remembered>();
  /** Entries in order of expiry; reused once forgotten. */
  private readonly queue: Remembered[] = [];
  private queueHead = 0;
  private readonly spare: Remembered[] = [];
  /** Segments absorbed, by input index. */
  readonly absorbed: number[] = [];

  remember(conn: Connection, closedAt: number): void {
    if (this.queue.length - this.queueHead >= MAX_REMEMBERED) this.forget();
    const r = this.spare.pop() ?? new Remembered();
    const { client, server } = conn;
    r.client.set(client.addr);
    r.server.set(server.addr);
    r.clientPort = client.port;
    r.serverPort = server.port;
    r.clientNext = client.hasSeq ? client.nextSeq : -1;
    r.serverNext = server.hasSeq ? server.nextSeq : -1;
    r.expires = closedAt + AFTER_CLOSE_SECONDS;
    r.hash = hashEndpoints(conn) | 0; // a small integer key: the Map hashes it without boxing
    this.byHash.set(r.hash, r);
    this.queue.push(r);
  }

  /** The segment (4-tuple hash `h`) is a straggler of a finished connection: counted, and nothing else to do with it. */
  absorb(seg: TcpSegment, h: number): boolean {
    if ((seg.flags & SYN) !== 0) return false;
    const r = this.byHash.get(h | 0);
    if (r === undefined || seg.time > r.expires) return false;
    let next: number;
    if (
      seg.srcPort === r.clientPort &&
      seg.dstPort === r.serverPort &&
      same(seg.src, r.client) &&
      same(seg.dst, r.server)
    )
      next = r.clientNext;
    else if (
      seg.srcPort === r.serverPort &&
      seg.dstPort === r.clientPort &&
      same(seg.src, r.server) &&
      same(seg.dst, r.client)
    )
      next = r.serverNext;
    else return false;
    if (next >= 0 && Math.abs(seqDiff(seg.seq, next)) > SAME_SPACE) return false;
    this.absorbed[seg.input] = (this.absorbed[seg.input] ?? 0) + 1;
    return true;
  }

  /** Forget what expired by `now` (capture time). */
  expire(now: number): void {
    while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.expires < now) this.forget();
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** The oldest entry. */
  private forget(): void {
    const r = this.queue[this.queueHead++]!;
    if (this.byHash.get(r.hash) === r) this.byHash.delete(r.hash);
    this.spare.push(r);
  }
}

function same(a: Uint32Array, b: Uint32Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}
