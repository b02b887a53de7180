import { ACK, SYN, type TcpSegment } from "../decode/segment.js";
import { AfterClose } from "./after-close.js";
import { Connection, ConnectionList } from "./connection.js";
import { seqDiff } from "./seq.js";
import { ServerProfiles } from "./server-profiles.js";
import { TimelineRecorder } from "./timeline.js";
import { hashEndpoints, hashSegment } from "./tuple-hash.js";

export interface TrackerOptions {
  /** Seconds of capture time without a segment after which a connection is finalised. */
  idleTimeout: number;
  /**
   * Seconds a closed connection (both FINs, or a RST) stays whole, for the last ACK and what was
   * in flight (default CLOSE_LINGER); stragglers after that are counted by `afterClose`.
   */
  closeLinger?: number;
  /** Called once per connection when it is finalised; the tracker forgets it afterwards. */
  onFinal(conn: Connection): void;
  /** Called when a connection's handshake completes (live mode prints it). */
  onHandshake?(conn: Connection): void;
  /** Record time series for charts (bounded per connection). */
  timeline?: boolean;
  /**
   * Reuse the objects of finalised connections for new ones: the Connection handed to onFinal is
   * reset when onFinal returns, so onFinal must keep nothing of it (the analysis keeps its summary
   * and findings, plain data). Saves the old-generation garbage of one dead connection per
   * connection (default false).
   */
  reuse?: boolean;
}

/** Finalised connections kept for reuse, at most: enough to cover a burst, bounded when traffic calms. */
const POOL = 4096;

/**
 * A closed connection is finalised this long (capture seconds) after its close: long enough for
 * the final ACK and the RSTs that answer data still in flight, short enough that a server closing
 * thousands of connections a second holds one second of them, not ten (bench/README.md).
 */
export const CLOSE_LINGER = 1;
/**
 * A connection closed with both FINs acknowledged is finalised once it has been quiet this long
 * (capture seconds). Nothing of it is in flight any more: a FIN sent again because the final ACK
 * was lost comes one retransmission timeout later (200 ms at least on Linux, 300 ms on Windows)
 * and is counted by `afterClose`; this covers records a capture stored out of order. At thousands
 * of closes a second, a whole second of them was most of the heap (bench/README.md).
 */
export const DONE_QUIET = 0.2;

const INITIAL_BUCKETS = 1024;
/** How often (capture seconds) to look for idle and closed connections: a fraction of DONE_QUIET. */
export const SWEEP_EVERY = 0.05;
/**
 * An established connection that goes quiet is parked, not finalised, for this long: TCP
 * keepalives come every 7200 s by default (net.ipv4.tcp_keepalive_time, and Windows' KeepAliveTime),
 * and a connection that comes back in the same sequence space is the same connection.
 */
export const PARK_SECONDS = 7200 + 600;
/** At most this many parked connections (the longest parked is finalised first): memory stays bounded. */
export const MAX_PARKED = 8192;
/** A parked connection resumes only within this distance of the sequence numbers it had. */
const SAME_SPACE = 1 << 26;

/**
 * Finds the connection of each segment and finalises connections that closed or went idle, so
 * memory follows the number of live connections, not the length of the capture. Lookup is a
 * hash table chained through the connections themselves (no per-packet key strings); two lists
 * ordered by activity and by close time make each sweep cost only what it finalises.
 */
export class ConnectionTracker {
  private buckets: (Connection | null)[] = new Array(INITIAL_BUCKETS).fill(null);
  private mask = INITIAL_BUCKETS - 1;
  private count = 0;
  private nextSeq = 1;
  /** Open connections, least recently active first. */
  private readonly open = new ConnectionList();
  /** Closed connections, earliest closed first. */
  private readonly closed = new ConnectionList();
  /** Closed connections with both FINs acknowledged, least recently active first. */
  private readonly done = new ConnectionList();
  /** Established connections that went idle, least recently active first (keepalives may bring them back). */
  private readonly parked = new ConnectionList();
  private nextSweep = Number.NaN;
  /** The connection of the previous segment. */
  private last: Connection | null = null;
  private readonly linger: number;
  private readonly quiet: number;
  /** Finalised connections, reset, waiting to be reused: their objects are already in the old generation. */
  private readonly pool: Connection[] = [];
  /** The connections flush() finalises, in order, and how far it got. */
  private ending: Connection[] | null = null;
  private endingAt = 0;
  /** What each server's SYN-ACKs carried, across connections. */
  readonly servers = new ServerProfiles();
  /** Finished connections' stragglers. */
  readonly afterClose = new AfterClose();

  constructor(private readonly opts: TrackerOptions) {
    this.linger = opts.closeLinger ?? Math.min(CLOSE_LINGER, opts.idleTimeout);
    this.quiet = Math.min(DONE_QUIET, this.linger);
  }

  get live(): number {
    return this.count;
  }

  get started(): number {
    return this.nextSeq - 1;
  }

  segment(seg: TcpSegment): void {
    const t = seg.time;
    if (t >= this.nextSweep) this.sweep(t);
    if ((seg.flags & (SYN | ACK)) === (SYN | ACK)) this.servers.note(seg);
    else if (!(this.nextSweep >= 0) && t >= 0) this.nextSweep = t + SWEEP_EVERY;

    // Bulk captures are runs of segments of one connection: try the last one before hashing.
    let conn = this.last !== null && this.matches(this.last, seg) ? this.last : null;
    const h = conn === null ? hashSegment(seg) : 0;
    if (conn === null) conn = this.find(seg, h);
    let fromClient: boolean;
    if (conn !== null) {
      fromClient = conn.isFromClient(seg);
      if (
        ((seg.flags & (SYN | ACK)) === SYN && this.startsNewConnection(conn, seg, fromClient)) ||
        (conn.list === this.parked && !sameSequenceSpace(conn, seg, fromClient))
      ) {
        this.finalise(conn);
        conn = null;
      }
    }
    if (conn === null) {
      const hash = h === 0 ? hashSegment(seg) : h;
      if (this.afterClose.absorb(seg, hash)) return;
      conn = this.create(seg, hash);
      fromClient = conn.isFromClient(seg);
    } else {
      this.touch(conn);
    }
    this.last = conn;
    const hadHandshake = conn.handshakeAckTime >= 0;
    const closedBefore = conn.closedAt >= 0;
    if (fromClient!) conn.onSegment(seg, conn.client, conn.server);
    else conn.onSegment(seg, conn.server, conn.client);
    if (!hadHandshake && conn.handshakeAckTime >= 0) this.opts.onHandshake?.(conn);
    // Closed now, or open again (new data after a RST that did not end it); or done, or active again when done.
    if (closedBefore !== conn.closedAt >= 0) this.moveTo(conn, closedBefore ? this.open : this.closed);
    if (conn.list === this.closed ? conn.finsAcknowledged() : conn.list === this.done) this.moveTo(conn, this.done);
  }

  /** The connections not finalised yet (live mode looks at them as they go). */
  *liveConnections(): Generator<Connection> {
    for (const list of [this.open, this.closed, this.done, this.parked]) {
      for (let c = list.head; c !== null; c = c.listNext) yield c;
    }
  }

  /**
   * Finalise what is still open (end of input), in the order the connections started: all of it,
   * or at most `max` per call (the caller writes out each batch's reports in between). Returns
   * how many are left.
   */
  flush(max = Number.POSITIVE_INFINITY): number {
    this.ending ??= [...this.liveConnections()].sort((a, b) => a.seq - b.seq);
    const end = Math.min(this.ending.length, this.endingAt + max);
    while (this.endingAt < end) this.finalise(this.ending[this.endingAt++]!);
    const left = this.ending.length - this.endingAt;
    if (left === 0) {
      this.ending = null;
      this.endingAt = 0;
    }
    return left;
  }

  /**
   * A SYN (without ACK) on a known 4-tuple opens a new connection when the old one closed, or
   * when its ISN differs from the one we know (port reuse after TIME_WAIT), or when all we had was
   * mid-stream traffic. A SYN with the same ISN is a retransmission; one from the server side of
   * an open connection is a simultaneous open; one the SYN-ACK already acknowledged is its own.
   */
  private startsNewConnection(conn: Connection, seg: TcpSegment, fromClient: boolean): boolean {
    if (conn.closedAt >= 0) return true;
    const own = fromClient ? conn.client : conn.server;
    if (own.syn !== null) return own.syn.isn !== seg.seq;
    if (!fromClient) return conn.client.syn === null;
    // No SYN from the client yet: all we had was mid-stream traffic (a new connection), or the
    // SYN-ACK that answers this very SYN, recorded before it (a multi-queue or `-i any` capture
    // reorders them): the same connection, or its handshake and diagnosis would be lost.
    return !(conn.server.syn !== null && conn.server.maxAck === (seg.seq + 1) >>> 0);
  }

  private find(seg: TcpSegment, h: number): Connection | null {
    let c = this.buckets[h & this.mask] ?? null;
    while (c !== null) {
      if (this.matches(c, seg)) return c;
      c = c.hashNext;
    }
    return null;
  }

  /** The segment belongs to this connection, in either direction. */
  private matches(c: Connection, seg: TcpSegment): boolean {
    const s = seg.src;
    const d = seg.dst;
    const sp = seg.srcPort;
    const dp = seg.dstPort;
    const a = c.client.addr;
    const b = c.server.addr;
    const cp = c.client.port;
    const spv = c.server.port;
    return (
      (cp === sp &&
        spv === dp &&
        a[0] === s[0] &&
        b[0] === d[0] &&
        a[1] === s[1] &&
        a[2] === s[2] &&
        a[3] === s[3] &&
        b[1] === d[1] &&
        b[2] === d[2] &&
        b[3] === d[3]) ||
      (cp === dp &&
        spv === sp &&
        a[0] === d[0] &&
        b[0] === s[0] &&
        a[1] === d[1] &&
        a[2] === d[2] &&
        a[3] === d[3] &&
        b[1] === s[1] &&
        b[2] === s[2] &&
        b[3] === s[3])
    );
  }

  private create(seg: TcpSegment, h: number): Connection {
    const conn = this.pool.pop() ?? new Connection();
    conn.seq = this.nextSeq++;
    if (this.opts.timeline) conn.timeline = new TimelineRecorder();
    conn.firstTime = seg.time;
    conn.firstFrame = seg.frame;
    conn.input = seg.input;
    // The SYN's sender is the client; a SYN-ACK's sender the server; otherwise guess by port.
    let srcIsClient: boolean;
    const flags = seg.flags & (SYN | ACK);
    if (flags === SYN) srcIsClient = true;
    else if (flags === (SYN | ACK)) srcIsClient = false;
    else {
      conn.rolesGuessed = true;
      srcIsClient = seg.srcPort > seg.dstPort;
    }
    conn.client.copyAddress(seg, srcIsClient);
    conn.server.copyAddress(seg, !srcIsClient);
    const i = h & this.mask;
    conn.hashNext = this.buckets[i] ?? null;
    this.buckets[i] = conn;
    this.open.append(conn);
    if (++this.count > this.buckets.length) this.grow();
    return conn;
  }

  private finalise(conn: Connection): void {
    if (this.last === conn) this.last = null;
    conn.list?.unlink(conn);
    const i = hashEndpoints(conn) & this.mask;
    let c = this.buckets[i] ?? null;
    if (c === conn) this.buckets[i] = conn.hashNext;
    else {
      while (c !== null && c.hashNext !== conn) c = c.hashNext;
      if (c !== null) c.hashNext = conn.hashNext;
    }
    conn.hashNext = null;
    this.count--;
    conn.finish();
    this.opts.onFinal(conn);
    // onFinal took what it needed (summaries and findings are plain data): the objects can serve again.
    if (this.opts.reuse === true && this.pool.length < POOL) {
      conn.reset();
      this.pool.push(conn);
    }
  }

  private sweep(now: number): void {
    this.nextSweep = now + SWEEP_EVERY;
    const linger = this.linger;
    const closed = this.closed;
    while (closed.head !== null && now - closed.head.closedAt > linger) this.finaliseClosed(closed.head);
    const done = this.done;
    while (done.head !== null && now - done.head.lastTime > this.quiet) this.finaliseClosed(done.head);
    this.afterClose.expire(now);
    const idle = this.opts.idleTimeout;
    const open = this.open;
    while (open.head !== null && now - open.head.lastTime > idle) {
      const c = open.head;
      if (!established(c)) {
        this.finalise(c);
        continue;
      }
      if (this.parked.size >= MAX_PARKED) this.finalise(this.parked.head!);
      open.unlink(c);
      this.parked.append(c);
    }
    const parkFor = Math.max(PARK_SECONDS, idle);
    const parked = this.parked;
    while (parked.head !== null && now - parked.head.lastTime > parkFor) this.finalise(parked.head);
  }

  /** A closed connection is reported; what still comes for it is counted for AFTER_CLOSE_SECONDS. */
  private finaliseClosed(conn: Connection): void {
    this.afterClose.remember(conn, conn.closedAt);
    this.finalise(conn);
  }

  private touch(conn: Connection): void {
    if (conn.list === this.closed || conn.list === this.done || conn === this.open.tail) return;
    this.moveTo(conn, this.open);
  }

  /** To the end of `list` (the most recent), from whichever list it was in. */
  private moveTo(conn: Connection, list: ConnectionList): void {
    conn.list?.unlink(conn);
    list.append(conn);
  }

  private grow(): void {
    const size = this.buckets.length * 2;
    const buckets: (Connection | null)[] = new Array(size).fill(null);
    const mask = size - 1;
    for (let c of this.buckets) {
      while (c !== null) {
        const next: Connection | null = c.hashNext;
        const i = hashEndpoints(c) & mask;
        c.hashNext = buckets[i] ?? null;
        buckets[i] = c;
        c = next;
      }
    }
    this.buckets = buckets;
    this.mask = mask;
  }
}

/** Both sides sent and acknowledged: an established connection, which keepalives may revisit. */
function established(c: Connection): boolean {
  return c.client.hasAck && c.server.hasAck && c.client.hasSeq && c.server.hasSeq;
}

/** A segment after a long silence continues the parked connection only in the sequence space it had. */
function sameSequenceSpace(c: Connection, seg: TcpSegment, fromClient: boolean): boolean {
  const from = fromClient ? c.client : c.server;
  const to = fromClient ? c.server : c.client;
  if (from.hasSeq && Math.abs(seqDiff(seg.seq, from.nextSeq)) > SAME_SPACE) return false;
  return !((seg.flags & ACK) !== 0 && to.hasSeq && Math.abs(seqDiff(seg.ack, to.nextSeq)) > SAME_SPACE);
}
